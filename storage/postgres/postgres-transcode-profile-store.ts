import type { StoredProfile, TranscodeProfileStore } from '../transcode-profile-store';
import type { PgPool } from './postgres-database';

interface Row {
  name: string;
  body: unknown;
  created_at: number;
  updated_at: number;
}

const toStored = (r: Row): StoredProfile => ({ name: r.name, body: r.body, createdAt: r.created_at, updatedAt: r.updated_at });

/** Operator-defined transcode profiles in PostgreSQL, the body as jsonb. */
export class PostgresTranscodeProfileStore implements TranscodeProfileStore {
  constructor(private readonly pool: PgPool) {}

  async list(): Promise<StoredProfile[]> {
    return (await this.pool.query<Row>('SELECT * FROM transcode_profiles ORDER BY name COLLATE "C"')).rows.map(toStored);
  }

  async get(name: string): Promise<StoredProfile | undefined> {
    const row = (await this.pool.query<Row>('SELECT * FROM transcode_profiles WHERE name = $1', [name])).rows[0];
    return row && toStored(row);
  }

  async insert(name: string, body: unknown, now: number): Promise<boolean> {
    const r = await this.pool.query('INSERT INTO transcode_profiles (name, body, created_at, updated_at) VALUES ($1, $2, $3, $3) ON CONFLICT DO NOTHING', [
      name,
      JSON.stringify(body),
      now,
    ]);
    return (r.rowCount ?? 0) > 0;
  }

  async update(name: string, body: unknown, now: number): Promise<boolean> {
    const r = await this.pool.query('UPDATE transcode_profiles SET body = $1, updated_at = $2 WHERE name = $3', [JSON.stringify(body), now, name]);
    return (r.rowCount ?? 0) > 0;
  }

  async delete(name: string): Promise<boolean> {
    return ((await this.pool.query('DELETE FROM transcode_profiles WHERE name = $1', [name])).rowCount ?? 0) > 0;
  }
}
