import crypto from 'node:crypto';
import type { Db } from './sqlite-database';
import { generateStreamKey, type Channel, type ChannelStore, type StreamKeyInfo } from '../channel-store';

function safeEqual(a: string, b: string) {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

interface KeyRow { id: string; channel: string; key: string; label: string; created_at: number; revoked_at: number | null }
interface ChannelRow { name: string; title: string; profile: string | null; created_at: number }

const toChannel = (r: ChannelRow): Channel => ({ name: r.name, title: r.title, profile: r.profile, createdAt: r.created_at });
const toKeyInfo = (r: KeyRow): StreamKeyInfo => ({
  id: r.id,
  channel: r.channel,
  label: r.label,
  preview: `${r.key.slice(0, 4)}…`,
  createdAt: r.created_at,
  revokedAt: r.revoked_at,
});

/**
 * Channels and their stream keys in SQLite. Keys are kept as given: the data folder is as
 * private as the admin token beside it, and the operator needs to read the key
 * back to paste it into OBS. They never appear in a public URL or a log line.
 */
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

  addKey(channel: string, label: string, key = generateStreamKey()): { info: StreamKeyInfo; key: string } {
    const id = crypto.randomBytes(6).toString('hex');
    this.db
      .prepare('INSERT INTO stream_keys (id, channel, key, label, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(id, channel, key, label, Date.now());
    return { info: toKeyInfo(this.db.prepare('SELECT * FROM stream_keys WHERE id = ?').get(id) as KeyRow), key };
  }

  listKeys(channel?: string): StreamKeyInfo[] {
    const rows = channel
      ? this.db.prepare('SELECT * FROM stream_keys WHERE channel = ? ORDER BY created_at').all(channel)
      : this.db.prepare('SELECT * FROM stream_keys ORDER BY channel, created_at').all();
    return (rows as KeyRow[]).map(toKeyInfo);
  }

  keyByLabel(channel: string, label: string): string | undefined {
    const row = this.db
      .prepare('SELECT key FROM stream_keys WHERE channel = ? AND label = ? AND revoked_at IS NULL ORDER BY created_at DESC')
      .get(channel, label) as { key: string } | undefined;
    return row?.key;
  }

  setKeyByLabel(channel: string, label: string, key: string): void {
    const tx = this.db.transaction(() => {
      const existing = this.db.prepare('SELECT * FROM stream_keys WHERE key = ?').get(key) as KeyRow | undefined;
      if (existing && existing.channel === channel && existing.revoked_at === null) return;
      this.db.prepare('UPDATE stream_keys SET revoked_at = ? WHERE channel = ? AND label = ? AND revoked_at IS NULL').run(Date.now(), channel, label);
      if (existing) this.db.prepare('DELETE FROM stream_keys WHERE id = ?').run(existing.id);
      this.addKey(channel, label, key);
    });
    tx();
  }

  revokeKey(id: string): boolean {
    return this.db.prepare('UPDATE stream_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(Date.now(), id).changes > 0;
  }

  channelForKey(key: string): string | undefined {
    if (!key) return undefined;
    const rows = this.db.prepare('SELECT channel, key FROM stream_keys WHERE revoked_at IS NULL AND key = ?').all(key) as KeyRow[];
    // The indexed lookup finds the row; the constant-time compare keeps the final check honest.
    return rows.find((r) => safeEqual(r.key, key))?.channel;
  }
}
