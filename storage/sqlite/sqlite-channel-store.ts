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

  async list(): Promise<Channel[]> {
    return (this.db.prepare('SELECT * FROM channels ORDER BY created_at, name').all() as ChannelRow[]).map(toChannel);
  }

  async get(name: string): Promise<Channel | undefined> {
    return this.channel(name);
  }

  private channel(name: string): Channel | undefined {
    const row = this.db.prepare('SELECT * FROM channels WHERE name = ?').get(name) as ChannelRow | undefined;
    return row && toChannel(row);
  }

  async create(name: string, title = name): Promise<Channel> {
    this.db.prepare('INSERT INTO channels (name, title, created_at) VALUES (?, ?, ?)').run(name, title, Date.now());
    return this.channel(name)!;
  }

  async setProfile(name: string, profile: string | null): Promise<void> {
    this.db.prepare('UPDATE channels SET profile = ? WHERE name = ?').run(profile, name);
  }

  async setInfo(name: string, info: ChannelInfoChange): Promise<void> {
    const ch = this.channel(name);
    if (!ch) return;
    const next = { ...ch, ...info };
    this.db.prepare('UPDATE channels SET title = ?, description = ?, offline_message = ? WHERE name = ?').run(next.title, next.description, next.offlineMessage, name);
  }

  async addKey(k: NewStreamKey): Promise<StreamKeyInfo> {
    return this.insertKey(k);
  }

  /** Synchronous, so that setKeyByLabel's transaction holds it. */
  private insertKey(k: NewStreamKey): StreamKeyInfo {
    this.db
      .prepare('INSERT INTO stream_keys (id, channel, key_hash, label, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(k.id, k.channel, k.keyHash, k.label, k.createdAt);
    return toKeyInfo(this.db.prepare('SELECT * FROM stream_keys WHERE id = ?').get(k.id) as KeyRow);
  }

  async listKeys(channel?: string): Promise<StreamKeyInfo[]> {
    const rows = channel
      ? this.db.prepare('SELECT * FROM stream_keys WHERE channel = ? ORDER BY created_at').all(channel)
      : this.db.prepare('SELECT * FROM stream_keys ORDER BY channel, created_at').all();
    return (rows as KeyRow[]).map(toKeyInfo);
  }

  async setKeyByLabel(k: NewStreamKey): Promise<void> {
    this.db.transaction(() => {
      const existing = this.db.prepare('SELECT * FROM stream_keys WHERE key_hash = ?').get(k.keyHash) as KeyRow | undefined;
      if (existing && existing.channel === k.channel && existing.revoked_at === null) return;
      this.db
        .prepare('UPDATE stream_keys SET revoked_at = ? WHERE channel = ? AND label = ? AND revoked_at IS NULL')
        .run(k.createdAt, k.channel, k.label);
      if (existing) this.db.prepare('DELETE FROM stream_keys WHERE id = ?').run(existing.id);
      this.insertKey(k);
    })();
  }

  async revokeKey(id: string, now: number): Promise<boolean> {
    return this.db.prepare('UPDATE stream_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(now, id).changes > 0;
  }

  async activeKeyByHash(keyHash: string): Promise<(StreamKeyInfo & { keyHash: string }) | undefined> {
    const row = this.db.prepare('SELECT * FROM stream_keys WHERE key_hash = ? AND revoked_at IS NULL').get(keyHash) as KeyRow | undefined;
    return row && { ...toKeyInfo(row), keyHash: row.key_hash };
  }
}
