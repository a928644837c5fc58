import crypto from 'node:crypto';
import { hashesMatch, hashSecret, newSecret } from '../core/secrets';
import type { ChannelStore, StreamKeyInfo } from '../storage/channel-store';

/** A fresh stream key: 24 random bytes (192 bits), URL-safe: 32 characters OBS and RTMP paths accept as they are. */
export function generateStreamKey(): string {
  return newSecret(24);
}

/**
 * Stream keys: made here, stored only as their digest (core/secrets.ts), and
 * shown whole exactly once, in what `create` returns. A key cannot be read
 * back: a lost key is replaced (`liveroom keys create` / `keys rotate`).
 */
export class StreamKeys {
  constructor(
    private readonly store: ChannelStore,
    private readonly clock: () => number = Date.now,
  ) {}

  /** A new key for a channel; the returned `key` is the only copy. */
  async create(channel: string, label: string): Promise<{ info: StreamKeyInfo; key: string }> {
    const key = generateStreamKey();
    return { info: await this.store.addKey(this.record(channel, label, key)), key };
  }

  /** Makes `key` (LIVEROOM_STREAM_KEY) the active key under `label`, revoking any other there. */
  setByLabel(channel: string, label: string, key: string): Promise<void> {
    return this.store.setKeyByLabel(this.record(channel, label, key));
  }

  /** A new key with the same channel and label, and the old one revoked. */
  async rotate(old: StreamKeyInfo): Promise<{ info: StreamKeyInfo; key: string }> {
    const created = await this.create(old.channel, old.label);
    await this.store.revokeKey(old.id, this.clock());
    return created;
  }

  revoke(id: string): Promise<boolean> {
    return this.store.revokeKey(id, this.clock());
  }

  /** Whether the channel has an active key under this label. */
  async hasActive(channel: string, label: string): Promise<boolean> {
    return (await this.store.listKeys(channel)).some((k) => k.label === label && k.revokedAt === null);
  }

  /** The channel a publish key opens, or undefined for an unknown or revoked key. */
  async channelForKey(key: string): Promise<string | undefined> {
    if (!key) return undefined;
    const digest = hashSecret(key);
    const row = await this.store.activeKeyByHash(digest);
    return row && hashesMatch(row.keyHash, digest) ? row.channel : undefined;
  }

  private record(channel: string, label: string, key: string) {
    return { id: crypto.randomBytes(6).toString('hex'), channel, label, keyHash: hashSecret(key), createdAt: this.clock() };
  }
}
