import pg from 'pg';

/** The connection pool every PostgreSQL store shares. */
export type PgPool = pg.Pool;
/** A pool or one client inside a transaction: what a query runs on. */
export type PgQueryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

const INT8 = 20;

/**
 * BIGINT columns (milliseconds since the epoch, byte counts) come back as numbers, not strings: every value
 * liveroom keeps fits a double exactly (below 2^53). Set on the pool, not on pg's global table.
 */
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8 && format !== 'binary' ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/** The URL without its password, for logs and errors. */
export function redactDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/** A pool on `url` (postgres://user:password@host:port/db); nothing is connected until the first query. */
export function createPool(url: string, max = 10): PgPool {
  const pool = new pg.Pool({ connectionString: url, max, types, connectionTimeoutMillis: 10_000, idleTimeoutMillis: 30_000 });
  // An idle client that loses its server emits here; without a listener that would end the process.
  pool.on('error', () => {});
  return pool;
}

/** Runs `fn` in one transaction on one client: committed when it resolves, rolled back when it throws. */
export async function inTransaction<T>(pool: PgPool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  // A checked-out client has no listener of the pool's: a server that goes away mid-transaction (PostgreSQL stopped,
  // restarted, a network cut) emits 'error' on it, and with no listener that ended the whole process. The query in
  // flight rejects anyway; the broken client is handed back as broken, so the pool discards it.
  let broken: Error | undefined;
  const onError = (err: Error) => (broken ??= err);
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    if (!broken) await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}
