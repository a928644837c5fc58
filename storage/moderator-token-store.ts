/** What a chat token proves: moderation, or the streamer's badge and moderation (never administration). */
export type TokenRole = 'moderator' | 'streamer';

export interface ModeratorTokenRecord {
  id: string;
  channel: string;
  label: string;
  role: TokenRole;
  /** Only the hash is ever stored (see chat/moderator-tokens.ts). */
  tokenHash: string;
  createdAt: number;
  revokedAt: number | null;
  lastUsedAt: number | null;
}

/** Moderator and streamer tokens per channel, by hash. The embedded implementation is storage/sqlite/sqlite-moderator-token-store.ts. */
export interface ModeratorTokenStore {
  insert(record: Pick<ModeratorTokenRecord, 'id' | 'channel' | 'label' | 'role' | 'tokenHash' | 'createdAt'>): Promise<void>;
  get(id: string): Promise<ModeratorTokenRecord | undefined>;
  /** By channel (or all, by channel), oldest first. */
  list(channel?: string): Promise<ModeratorTokenRecord[]>;
  /** True when the token was active. */
  revoke(id: string, now: number): Promise<boolean>;
  /** The active (not revoked) token with this hash. */
  activeByHash(tokenHash: string): Promise<ModeratorTokenRecord | undefined>;
  markUsed(id: string, now: number): Promise<void>;
}
