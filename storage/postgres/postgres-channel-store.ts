import type { Channel, ChannelInfoChange, ChannelStore, NewStreamKey, StreamKeyInfo } from '../channel-store';
import { inTransaction, type PgPool, type PgQueryable } from './postgres-database';

interface ChannelRow {
  name: string;
  title: string;
  description: string;
  offline_message: string;
  profile: string | null;
  created_at: number;
}

interface KeyRow {
  id: string;
  channel: string;
  key_hash: string;
  label: string;
  created_at: number;
  revoked_at: number | null;
}

const toChannel = (r: ChannelRow): Channel => ({
  name: r.name,
  title: r.title,
  description: r.description,
  offlineMessage: r.offline_message,
  profile: r.profile,
  createdAt: r.created_at,
});

const toKeyInfo = (r: KeyRow): StreamKeyInfo => ({ id: r.id, channel: r.channel, label: r.label, createdAt: r.created_at, revokedAt: r.revoked_at });

async function insertKey(db: PgQueryable, k: NewStreamKey): Promise<StreamKeyInfo> {
  const { rows } = await db.query<KeyRow>(
    'INSERT INTO stream_keys (id, channel, key_hash, label, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING *',
    [k.id, k.channel, k.keyHash, k.label, k.createdAt],
  );
  return toKeyInfo(rows[0]);
}

/** Channels and their stream keys (digests) in PostgreSQL; setKeyByLabel is one transaction holding the key's row. */
export class PostgresChannelStore implements ChannelStore {
  constructor(private readonly pool: PgPool) {}

  async list(): Promise<Channel[]> {
    return (await this.pool.query<ChannelRow>('SELECT * FROM channels ORDER BY created_at, name COLLATE "C"')).rows.map(toChannel);
  }

  async get(name: string): Promise<Channel | undefined> {
    const row = (await this.pool.query<ChannelRow>('SELECT * FROM channels WHERE name = $1', [name])).rows[0];
    return row && toChannel(row);
  }

  async create(name: string, title = name): Promise<Channel> {
    const { rows } = await this.pool.query<ChannelRow>('INSERT INTO channels (name, title, created_at) VALUES ($1, $2, $3) RETURNING *', [name, title, Date.now()]);
    return toChannel(rows[0]);
  }

  async setProfile(name: string, profile: string | null): Promise<void> {
    await this.pool.query('UPDATE channels SET profile = $1 WHERE name = $2', [profile, name]);
  }

  async setInfo(name: string, info: ChannelInfoChange): Promise<void> {
    // One statement: fields not given keep their value, whatever another node writes meanwhile.
    await this.pool.query(
      `UPDATE channels SET title = COALESCE($2, title), description = COALESCE($3, description), offline_message = COALESCE($4, offline_message)
       WHERE name = $1`,
      [name, info.title ?? null, info.description ?? null, info.offlineMessage ?? null],
    );
  }

  async addKey(key: NewStreamKey): Promise<StreamKeyInfo> {
    return insertKey(this.pool, key);
  }

  async listKeys(channel?: string): Promise<StreamKeyInfo[]> {
    const { rows } =
      channel === undefined
        ? await this.pool.query<KeyRow>('SELECT * FROM stream_keys ORDER BY channel, created_at, id')
        : await this.pool.query<KeyRow>('SELECT * FROM stream_keys WHERE channel = $1 ORDER BY created_at, id', [channel]);
    return rows.map(toKeyInfo);
  }

  async setKeyByLabel(k: NewStreamKey): Promise<void> {
    await inTransaction(this.pool, async (tx) => {
      // Two nodes setting the same label at once: the second waits here, then sees the first's result.
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`stream-key:${k.channel}:${k.label}`]);
      const existing = (await tx.query<KeyRow>('SELECT * FROM stream_keys WHERE key_hash = $1 FOR UPDATE', [k.keyHash])).rows[0];
      if (existing && existing.channel === k.channel && existing.revoked_at === null) return;
      await tx.query('UPDATE stream_keys SET revoked_at = $1 WHERE channel = $2 AND label = $3 AND revoked_at IS NULL', [k.createdAt, k.channel, k.label]);
      if (existing) await tx.query('DELETE FROM stream_keys WHERE id = $1', [existing.id]);
      await insertKey(tx, k);
    });
  }

  async revokeKey(id: string, now: number): Promise<boolean> {
    return ((await this.pool.query('UPDATE stream_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [now, id])).rowCount ?? 0) > 0;
  }

  async activeKeyByHash(keyHash: string): Promise<(StreamKeyInfo & { keyHash: string }) | undefined> {
    const row = (await this.pool.query<KeyRow>('SELECT * FROM stream_keys WHERE key_hash = $1 AND revoked_at IS NULL', [keyHash])).rows[0];
    return row && { ...toKeyInfo(row), keyHash: row.key_hash };
  }
}
