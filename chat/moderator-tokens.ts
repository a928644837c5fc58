import crypto from 'node:crypto';
import { hashesMatch, hashSecret, newSecret } from '../core/secrets';
import type { ModeratorTokenRecord, ModeratorTokenStore, TokenRole } from '../storage/moderator-token-store';

export type { TokenRole } from '../storage/moderator-token-store';

export interface ModeratorTokenInfo {
  id: string;
  channel: string;
  label: string;
  role: TokenRole;
  createdAt: number;
  revokedAt: number | null;
  lastUsedAt: number | null;
}

/** What the chat server needs: which role a token proves in a channel, and which token it was. */
export interface RoleResolver {
  /** The role and token id of a current token of this channel, undefined otherwise (the admin token included). */
  grant(channel: string, token: string): Promise<{ role: TokenRole; tokenId: string } | undefined>;
  /** `grant(…)?.role`: re-checked on each moderation request. */
  roleFor(channel: string, token: string): Promise<TokenRole | undefined>;
}

/** The prefix tells people (and log scanners) what a token is. */
const PREFIX: Record<TokenRole, string> = { moderator: 'lrm_', streamer: 'lrs_' };

/** SHA-256 of the token (core/secrets.ts says why a plain digest is right for 256 random bits). */
export function hashToken(token: string): string {
  return hashSecret(token);
}

const toInfo = (r: ModeratorTokenRecord): ModeratorTokenInfo => ({
  id: r.id,
  channel: r.channel,
  label: r.label,
  role: r.role,
  createdAt: r.createdAt,
  revokedAt: r.revokedAt,
  lastUsedAt: r.lastUsedAt,
});

/**
 * Chat tokens per channel, created and revoked by the admin API / CLI: a
 * moderator token (moderation), or a streamer token (the creator's badge and
 * moderation). Neither administers anything, and the admin token proves no
 * chat role: it never needs to reach a browser. Only a digest is stored; the
 * token itself is shown once, at creation.
 */
export class ModeratorTokens implements RoleResolver {
  constructor(
    private readonly store: ModeratorTokenStore,
    private readonly deps: { clock?: () => number } = {},
  ) {}

  private now(): number {
    return (this.deps.clock ?? Date.now)();
  }

  /** A new token for a channel. The returned `token` is the only copy: hand it to the moderator (or the streamer). */
  async create(channel: string, label: string, role: TokenRole = 'moderator'): Promise<{ info: ModeratorTokenInfo; token: string }> {
    const token = newSecret(32, PREFIX[role]);
    const id = crypto.randomBytes(6).toString('hex');
    await this.store.insert({ id, channel, label, role, tokenHash: hashToken(token), createdAt: this.now() });
    return { info: toInfo((await this.store.get(id))!), token };
  }

  async get(id: string): Promise<ModeratorTokenInfo | undefined> {
    const r = await this.store.get(id);
    return r && toInfo(r);
  }

  async list(channel?: string): Promise<ModeratorTokenInfo[]> {
    return (await this.store.list(channel)).map(toInfo);
  }

  /** True when the token was active. Its live chat sessions are the chat server's to drop (ChatServer.disconnectToken). */
  revoke(id: string): Promise<boolean> {
    return this.store.revoke(id, this.now());
  }

  /** The active token's record when `token` is one for `channel`. */
  async verify(channel: string, token: string): Promise<ModeratorTokenInfo | undefined> {
    if (!Object.values(PREFIX).some((p) => token.startsWith(p))) return undefined;
    const digest = hashToken(token);
    const row = await this.store.activeByHash(digest);
    if (!row || !hashesMatch(row.tokenHash, digest) || row.channel !== channel) return undefined;
    await this.store.markUsed(row.id, this.now());
    return toInfo(row);
  }

  async grant(channel: string, token: string): Promise<{ role: TokenRole; tokenId: string } | undefined> {
    const info = await this.verify(channel, token);
    return info && { role: info.role, tokenId: info.id };
  }

  async roleFor(channel: string, token: string): Promise<TokenRole | undefined> {
    return (await this.grant(channel, token))?.role;
  }
}
