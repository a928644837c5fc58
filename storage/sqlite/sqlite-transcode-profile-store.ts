import type { StoredProfile, TranscodeProfileStore } from '../transcode-profile-store';
import type { Db } from './sqlite-database';

interface Row {
  name: string;
  body: string;
  created_at: number;
  updated_at: number;
}

const toStored = (r: Row): StoredProfile => ({ name: r.name, body: JSON.parse(r.body) as unknown, createdAt: r.created_at, updatedAt: r.updated_at });

/** Operator-defined transcode profiles in SQLite, the body as JSON text. */
export class SqliteTranscodeProfileStore implements TranscodeProfileStore {
  constructor(private readonly db: Db) {}

  async list(): Promise<StoredProfile[]> {
    return (this.db.prepare('SELECT * FROM transcode_profiles ORDER BY name').all() as Row[]).map(toStored);
  }

  async get(name: string): Promise<StoredProfile | undefined> {
    const row = this.db.prepare('SELECT * FROM transcode_profiles WHERE name = ?').get(name) as Row | undefined;
    return row && toStored(row);
  }

  async insert(name: string, body: unknown, now: number): Promise<boolean> {
    return (
      this.db
        .prepare('INSERT OR IGNORE INTO transcode_profiles (name, body, created_at, updated_at) VALUES (?, ?, ?, ?)')
        .run(name, JSON.stringify(body), now, now).changes > 0
    );
  }

  async update(name: string, body: unknown, now: number): Promise<boolean> {
    return this.db.prepare('UPDATE transcode_profiles SET body = ?, updated_at = ? WHERE name = ?').run(JSON.stringify(body), now, name).changes > 0;
  }

  async delete(name: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM transcode_profiles WHERE name = ?').run(name).changes > 0;
  }
}
