import type { LiveroomConfig } from '../core/config-schema';
import { fail } from '../core/errors';
import type { Logger } from '../core/logger';
import type { Stores } from '../storage/stores';
import { redactDatabaseUrl } from '../storage/postgres/postgres-database';
import { PostgresStores } from '../storage/postgres/postgres-stores';
import { SqliteStores } from '../storage/sqlite/sqlite-stores';

/**
 * The one backend every store is on: PostgreSQL when 'databaseUrl' is set (connected and migrated now, or the
 * start fails with LR_DATABASE_UNAVAILABLE), SQLite in the data folder otherwise. The URL's password is never logged.
 */
export async function openStores(config: Pick<LiveroomConfig, 'dataDir' | 'databaseUrl'>, log: Logger): Promise<Stores> {
  if (config.databaseUrl) {
    const shown = redactDatabaseUrl(config.databaseUrl);
    try {
      const stores = await PostgresStores.connect(config.databaseUrl);
      log.info({ database: shown }, 'stores on PostgreSQL: shared with every node on this database');
      return stores;
    } catch (err) {
      throw fail('LR_DATABASE_UNAVAILABLE', { url: shown, reason: (err as Error).message });
    }
  }
  try {
    return SqliteStores.open(config.dataDir);
  } catch (err) {
    throw fail('LR_DATA_DIR', { action: `open the database in ${config.dataDir}`, reason: (err as Error).message });
  }
}
