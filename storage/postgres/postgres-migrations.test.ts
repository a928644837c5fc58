import { startPostgres, type TestPostgres } from '../../tests/helpers/postgres';
import { createPool } from './postgres-database';
import { MIGRATIONS, migrate } from './postgres-migrations';

describe('PostgreSQL migrations', () => {
  let server: TestPostgres;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('apply each step once when several nodes start at once (advisory lock), and again finds nothing to do', async () => {
    const url = await server.createDatabase();
    const pools = Array.from({ length: 4 }, () => createPool(url, 2));
    try {
      expect(await Promise.all(pools.map((p) => migrate(p)))).toEqual(pools.map(() => MIGRATIONS.length));
      const { rows } = await pools[0].query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
      expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
      expect(await migrate(pools[1])).toBe(MIGRATIONS.length);
      // An appended step runs once, after the others.
      const next = [...MIGRATIONS, 'CREATE TABLE later_step (id INTEGER PRIMARY KEY);'];
      await Promise.all(pools.map((p) => migrate(p, next)));
      expect((await pools[2].query('SELECT COUNT(*) AS n FROM schema_migrations')).rows[0].n).toBe(next.length);
      // A node older than the schema refuses it rather than running on a schema it does not know.
      await expect(migrate(pools[3], MIGRATIONS)).rejects.toThrow(/newer than this liveroom knows/);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  });

  it('roll back a step that fails: nothing of it stays, the version is not recorded', async () => {
    const url = await server.createDatabase();
    const pool = createPool(url, 2);
    try {
      await expect(migrate(pool, [...MIGRATIONS, 'CREATE TABLE half_done (id INTEGER); SELECT no_such_function();'])).rejects.toThrow(/no_such_function/);
      const tables = await pool.query("SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_name IN ('half_done', 'channels', 'schema_migrations')");
      expect(tables.rows[0].n).toBe(0);
      expect(await migrate(pool)).toBe(MIGRATIONS.length);
    } finally {
      await pool.end();
    }
  });
});
