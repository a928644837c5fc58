import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { openStores } from './open-stores';
import { SqliteStores } from '../storage/sqlite/sqlite-stores';

describe('openStores', () => {
  const log = pino({ level: 'silent' });

  it('is SQLite in the data folder without databaseUrl', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-open-'));
    const stores = await openStores({ dataDir, databaseUrl: undefined }, log);
    try {
      expect(stores).toBeInstanceOf(SqliteStores);
      expect(fs.existsSync(path.join(dataDir, 'liveroom.sqlite'))).toBe(true);
    } finally {
      await stores.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('fails the start in one line when PostgreSQL cannot be reached, with the password masked', async () => {
    const err = await openStores({ dataDir: os.tmpdir(), databaseUrl: 'postgres://liveroom:hunter2-secret@127.0.0.1:1/liveroom' }, log).then(
      () => undefined,
      (e: unknown) => e as Error & { code?: string },
    );
    expect(err?.code).toBe('LR_DATABASE_UNAVAILABLE');
    expect(err?.message).toMatch(/postgres:\/\/liveroom:\*\*\*@127\.0\.0\.1:1\/liveroom \(LIVEROOM_DATABASE_URL \/ databaseUrl\)/);
    expect(err?.message).not.toContain('hunter2');
  });
});
