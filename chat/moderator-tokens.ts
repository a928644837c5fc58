import crypto from 'node:crypto';
import type { Db } from '../storage/database';
import type { ChatRole } from './chat-events';

export interface ModeratorTokenInfo {
  id: string;
  channel: string;
  label: string;
  createdAt: number;
  revokedAt: number | null;
  lastUsedAt: number | null;
}

interface TokenRow {
  id: string;
  channel: string;
  label: string;
  token_hash: string;
  created_at: number;
  revoked_at: number | null;
  last_used_at: number | null;
}

/** What the chat server needs: which role a token proves in a channel. */
export interface RoleResolver {
  /** 'streamer' for the admin token, 'moderator' for a current token of this channel, undefined otherwise. */
  roleFor(channel: string, token: string): Exclude<ChatRole, 'viewer'> | undefined;
}

const TOKEN_PREFIX = 'lrm_';

/** SHA-256 of the token: tokens are 256 random bits, so a plain digest is as strong as a slow hash here. */
export function hashToken(token: string): string {
  return crypto.createHash('sha256').update(token).digest('hex');
}

const toInfo = (r: TokenRow): ModeratorTokenInfo => ({
  id: r.id,
  channel: r.channel,
  label: r.label,
  createdAt: r.created_at,
  revokedAt: r.revoked_at,
  lastUsedAt: r.last_used_at,
});

/**
 * Moderator tokens per channel, created and revoked by the admin API / CLI.
 * Only a hash is stored; the token itself is shown once, at creation. The
 * streamer proves the role with the admin token, which this class does not
 * own: it asks `isAdminToken`.
 */
export class ModeratorTokens implements RoleResolver {
  private readonly q;

  constructor(
    db: Db,
    private readonly deps: { isAdminToken(token: string): boolean; clock?: () => number },
  ) {
    this.q = {
      insert: db.prepare('INSERT INTO chat_moderator_tokens (id, channel, label, token_hash, created_at) VALUES (?, ?, ?, ?, ?)'),
      get: db.prepare('SELECT * FROM chat_moderator_tokens WHERE id = ?'),
      list: db.prepare('SELECT * FROM chat_moderator_tokens WHERE channel = ? ORDER BY created_at, id'),
      listAll: db.prepare('SELECT * FROM chat_moderator_tokens ORDER BY channel, created_at, id'),
      revoke: db.prepare('UPDATE chat_moderator_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
      byHash: db.prepare('SELECT * FROM chat_moderator_tokens WHERE token_hash = ? AND revoked_at IS NULL'),
      used: db.prepare('UPDATE chat_moderator_tokens SET last_used_at = ? WHERE id = ?'),
    };
  }

  private now(): number {
    return (this.deps.clock ?? Date.now)();
  }

  /** A new token for a channel. The returned `token` is the only copy: hand it to the moderator. */
  create(channel: string, label: string): { info: ModeratorTokenInfo; token: string } {
    const token = TOKEN_PREFIX + crypto.randomBytes(32).toString('base64url');
    const id = crypto.randomBytes(6).toString('hex');
    this.q.insert.run(id, channel, label, hashToken(token), this.now());
    return { info: toInfo(this.q.get.get(id) as TokenRow), token };
  }

  list(channel?: string): ModeratorTokenInfo[] {
    const rows = channel === undefined ? this.q.listAll.all() : this.q.list.all(channel);
    return (rows as TokenRow[]).map(toInfo);
  }

  /** True when the token was active; a connected moderator loses the role at their next moderation request. */
  revoke(id: string): boolean {
    return this.q.revoke.run(this.now(), id).changes > 0;
  }

  /** The active token's record when `token` is one for `channel`. */
  verify(channel: string, token: string): ModeratorTokenInfo | undefined {
    if (!token.startsWith(TOKEN_PREFIX)) return undefined;
    const row = this.q.byHash.get(hashToken(token)) as TokenRow | undefined;
    if (!row || row.channel !== channel) return undefined;
    this.q.used.run(this.now(), row.id);
    return toInfo(row);
  }

  roleFor(channel: string, token: string): 'streamer' | 'moderator' | undefined {
    if (this.deps.isAdminToken(token)) return 'streamer';
    return this.verify(channel, token) ? 'moderator' : undefined;
  }
}
