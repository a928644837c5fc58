import type { Channel, ChannelInfoChange, ChannelStore, NewStreamKey, StreamKeyInfo } from '../channel-store';
import type { Db } from './sqlite-database';

interface KeyRow { id: string; channel: string; key_hash: string; label: string; created_at: number; revoked_at: number | null }
interface ChannelRow { name: string; title: string; description: string; offline_message: string; profile: string | null; created_at: number }

const toChannel = (r: ChannelRow): Channel => ({
  name: r.name,
  title: r.title,
  description: r.description,
  offlineMessage: r.offline_message,
  profile: r.profile,
  createdAt: r.created_at,
});
const toKeyInfo = (r: KeyRow): StreamKeyInfo => ({ id: r.id, channel: r.channel, label: r.label, createdAt: r.created_at, revokedAt: r.revoked_at });

/** Channels and their stream keys (digests only) in SQLite. */
export class SqliteChannelStore implements ChannelStore {
  constructor(private readonly db: Db) {}

  list(): Channel[] {
    return (this.db.prepare('SELECT * FROM channels ORDER BY created_at, name').all() as ChannelRow[]).map(toChannel);
  }

  get(name: string): Channel | undefined {
    const row = this.db.prepare('SELECT * FROM channels WHERE name = ?').get(name) as ChannelRow | undefined;
    return row && toChannel(row);
  }

  create(name: string, title = name): Channel {
    this.db.prepare('INSERT INTO channels (name, title, created_at) VALUES (?, ?, ?)').run(name, title, Date.now());
    return this.get(name)!;
  }

  setProfile(name: string, profile: string | null): void {
    this.db.prepare('UPDATE channels SET profile = ? WHERE name = ?').run(profile, name);
  }

  setInfo(name: string, info: ChannelInfoChange): void {
    const ch = this.get(name);
    if (!ch) return;
    const next = { ...ch, ...info };
    this.db.prepare('UPDATE channels SET title = ?, description = ?, offline_message = ? WHERE name = ?').run(next.title, next.description, next.offlineMessage, name);
  }

  addKey(k: NewStreamKey): StreamKeyInfo {
    this.db
      .prepare('INSERT INTO stream_keys (id, channel, key_hash, label, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(k.id, k.channel, k.keyHash, k.label, k.createdAt);
    return toKeyInfo(this.db.prepare('SELECT * FROM stream_keys WHERE id = ?').get(k.id) as KeyRow);
  }

  listKeys(channel?: string): StreamKeyInfo[] {
    const rows = channel
      ? this.db.prepare('SELECT * FROM stream_keys WHERE channel = ? ORDER BY created_at').all(channel)
      : this.db.prepare('SELECT * FROM stream_keys ORDER BY channel, created_at').all();
    return (rows as KeyRow[]).map(toKeyInfo);
  }

  setKeyByLabel(k: NewStreamKey): void {
    this.db.transaction(() => {
      const existing = this.db.prepare('SELECT * FROM stream_keys WHERE key_hash = ?').get(k.keyHash) as KeyRow | undefined;
      if (existing && existing.channel === k.channel && existing.revoked_at === null) return;
      this.db
        .prepare('UPDATE stream_keys SET revoked_at = ? WHERE channel = ? AND label = ? AND revoked_at IS NULL')
        .run(k.createdAt, k.channel, k.label);
      if (existing) this.db.prepare('DELETE FROM stream_keys WHERE id = ?').run(existing.id);
      this.addKey(k);
    })();
  }

  revokeKey(id: string, now: number): boolean {
    return this.db.prepare('UPDATE stream_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(now, id).changes > 0;
  }

  activeKeyByHash(keyHash: string): (StreamKeyInfo & { keyHash: string }) | undefined {
    const row = this.db.prepare('SELECT * FROM stream_keys WHERE key_hash = ? AND revoked_at IS NULL').get(keyHash) as KeyRow | undefined;
    return row && { ...toKeyInfo(row), keyHash: row.key_hash };
  }
}
