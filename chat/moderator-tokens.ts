import crypto from 'node:crypto';
import { hashesMatch, hashSecret, newSecret } from '../core/secrets';
import type { ModeratorTokenRecord, ModeratorTokenStore } from '../storage/moderator-token-store';
import type { ChatRole } from './chat-events';

export interface ModeratorTokenInfo {
  id: string;
  channel: string;
  label: string;
  createdAt: number;
  revokedAt: number | null;
  lastUsedAt: number | null;
}

/** What the chat server needs: which role a token proves in a channel. */
export interface RoleResolver {
  /** 'streamer' for the admin token, 'moderator' for a current token of this channel, undefined otherwise. */
  roleFor(channel: string, token: string): Exclude<ChatRole, 'viewer'> | undefined;
}

const TOKEN_PREFIX = 'lrm_';

/** SHA-256 of the token (core/secrets.ts says why a plain digest is right for 256 random bits). */
export function hashToken(token: string): string {
  return hashSecret(token);
}

const toInfo = (r: ModeratorTokenRecord): ModeratorTokenInfo => ({
  id: r.id,
  channel: r.channel,
  label: r.label,
  createdAt: r.createdAt,
  revokedAt: r.revokedAt,
  lastUsedAt: r.lastUsedAt,
});

/**
 * Moderator tokens per channel, created and revoked by the admin API / CLI.
 * Only a hash is stored; the token itself is shown once, at creation. The
 * streamer proves the role with the admin token, which this class does not
 * own: it asks `isAdminToken`.
 */
export class ModeratorTokens implements RoleResolver {
  constructor(
    private readonly store: ModeratorTokenStore,
    private readonly deps: { isAdminToken(token: string): boolean; clock?: () => number },
  ) {}

  private now(): number {
    return (this.deps.clock ?? Date.now)();
  }

  /** A new token for a channel. The returned `token` is the only copy: hand it to the moderator. */
  create(channel: string, label: string): { info: ModeratorTokenInfo; token: string } {
    const token = newSecret(32, TOKEN_PREFIX);
    const id = crypto.randomBytes(6).toString('hex');
    this.store.insert({ id, channel, label, tokenHash: hashToken(token), createdAt: this.now() });
    return { info: toInfo(this.store.get(id)!), token };
  }

  list(channel?: string): ModeratorTokenInfo[] {
    return this.store.list(channel).map(toInfo);
  }

  /** True when the token was active; a connected moderator loses the role at their next moderation request. */
  revoke(id: string): boolean {
    return this.store.revoke(id, this.now());
  }

  /** The active token's record when `token` is one for `channel`. */
  verify(channel: string, token: string): ModeratorTokenInfo | undefined {
    if (!token.startsWith(TOKEN_PREFIX)) return undefined;
    const digest = hashToken(token);
    const row = this.store.activeByHash(digest);
    if (!row || !hashesMatch(row.tokenHash, digest) || row.channel !== channel) return undefined;
    this.store.markUsed(row.id, this.now());
    return toInfo(row);
  }

  roleFor(channel: string, token: string): 'streamer' | 'moderator' | undefined {
    if (this.deps.isAdminToken(token)) return 'streamer';
    return this.verify(channel, token) ? 'moderator' : undefined;
  }
}
