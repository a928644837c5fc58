import type { ModeratorTokenRecord, ModeratorTokenStore, TokenRole } from '../moderator-token-store';
import type { Db } from './sqlite-database';

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

/** Moderator tokens (their hashes) in SQLite. */
export class SqliteModeratorTokenStore implements ModeratorTokenStore {
  private readonly q;

  constructor(db: Db) {
    this.q = {
      insert: db.prepare('INSERT INTO chat_moderator_tokens (id, channel, label, role, token_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)'),
      get: db.prepare('SELECT * FROM chat_moderator_tokens WHERE id = ?'),
      list: db.prepare('SELECT * FROM chat_moderator_tokens WHERE channel = ? ORDER BY created_at, id'),
      listAll: db.prepare('SELECT * FROM chat_moderator_tokens ORDER BY channel, created_at, id'),
      revoke: db.prepare('UPDATE chat_moderator_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
      byHash: db.prepare('SELECT * FROM chat_moderator_tokens WHERE token_hash = ? AND revoked_at IS NULL'),
      used: db.prepare('UPDATE chat_moderator_tokens SET last_used_at = ? WHERE id = ?'),
    };
  }

  async insert(r: Pick<ModeratorTokenRecord, 'id' | 'channel' | 'label' | 'role' | 'tokenHash' | 'createdAt'>): Promise<void> {
    this.q.insert.run(r.id, r.channel, r.label, r.role, r.tokenHash, r.createdAt);
  }

  async get(id: string): Promise<ModeratorTokenRecord | undefined> {
    const row = this.q.get.get(id) as TokenRow | undefined;
    return row && toRecord(row);
  }

  async list(channel?: string): Promise<ModeratorTokenRecord[]> {
    const rows = channel === undefined ? this.q.listAll.all() : this.q.list.all(channel);
    return (rows as TokenRow[]).map(toRecord);
  }

  async revoke(id: string, now: number): Promise<boolean> {
    return this.q.revoke.run(now, id).changes > 0;
  }

  async activeByHash(tokenHash: string): Promise<ModeratorTokenRecord | undefined> {
    const row = this.q.byHash.get(tokenHash) as TokenRow | undefined;
    return row && toRecord(row);
  }

  async markUsed(id: string, now: number): Promise<void> {
    this.q.used.run(now, id);
  }
}
