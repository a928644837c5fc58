import type { ModeratorTokenRecord, ModeratorTokenStore, TokenRole } from '../moderator-token-store';
import type { PgPool } from './postgres-database';

interface TokenRow {
  id: string;
  channel: string;
  label: string;
  role: TokenRole;
  token_hash: string;
  created_at: number;
  revoked_at: number | null;
  last_used_at: number | null;
}

const toRecord = (r: TokenRow): ModeratorTokenRecord => ({
  id: r.id,
  channel: r.channel,
  label: r.label,
  role: r.role,
  tokenHash: r.token_hash,
  createdAt: r.created_at,
  revokedAt: r.revoked_at,
  lastUsedAt: r.last_used_at,
});

/** Moderator and streamer tokens (their hashes) in PostgreSQL. */
export class PostgresModeratorTokenStore implements ModeratorTokenStore {
  constructor(private readonly pool: PgPool) {}

  async insert(r: Pick<ModeratorTokenRecord, 'id' | 'channel' | 'label' | 'role' | 'tokenHash' | 'createdAt'>): Promise<void> {
    await this.pool.query('INSERT INTO chat_moderator_tokens (id, channel, label, role, token_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)', [
      r.id,
      r.channel,
      r.label,
      r.role,
      r.tokenHash,
      r.createdAt,
    ]);
  }

  async get(id: string): Promise<ModeratorTokenRecord | undefined> {
    const row = (await this.pool.query<TokenRow>('SELECT * FROM chat_moderator_tokens WHERE id = $1', [id])).rows[0];
    return row && toRecord(row);
  }

  async list(channel?: string): Promise<ModeratorTokenRecord[]> {
    const { rows } =
      channel === undefined
        ? await this.pool.query<TokenRow>('SELECT * FROM chat_moderator_tokens ORDER BY channel, created_at, id')
        : await this.pool.query<TokenRow>('SELECT * FROM chat_moderator_tokens WHERE channel = $1 ORDER BY created_at, id', [channel]);
    return rows.map(toRecord);
  }

  async revoke(id: string, now: number): Promise<boolean> {
    return ((await this.pool.query('UPDATE chat_moderator_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [now, id])).rowCount ?? 0) > 0;
  }

  async activeByHash(tokenHash: string): Promise<ModeratorTokenRecord | undefined> {
    const row = (await this.pool.query<TokenRow>('SELECT * FROM chat_moderator_tokens WHERE token_hash = $1 AND revoked_at IS NULL', [tokenHash])).rows[0];
    return row && toRecord(row);
  }

  async markUsed(id: string, now: number): Promise<void> {
    await this.pool.query('UPDATE chat_moderator_tokens SET last_used_at = $1 WHERE id = $2', [now, id]);
  }
}
