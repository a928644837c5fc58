import crypto from 'node:crypto';

export interface Channel {
  name: string;
  title: string;
  /** Assigned transcode profile, or null for the server default. */
  profile: string | null;
  createdAt: number;
}

export interface StreamKeyInfo {
  id: string;
  channel: string;
  label: string;
  /** The first characters only: enough to tell keys apart, never enough to publish. */
  preview: string;
  createdAt: number;
  revokedAt: number | null;
}

/** A fresh stream key: 24 random bytes, URL-safe. */
export function generateStreamKey(): string {
  return crypto.randomBytes(24).toString('base64url');
}

/**
 * Channels and their stream keys. The embedded implementation is
 * storage/sqlite/sqlite-channel-store.ts; ingest/, transcoder/ and server/ see
 * only this interface.
 */
export interface ChannelStore {
  list(): Channel[];
  get(name: string): Channel | undefined;
  create(name: string, title?: string): Channel;
  setProfile(name: string, profile: string | null): void;
  /** Adds a key to a channel and returns it: the only time the caller sees it whole. */
  addKey(channel: string, label: string, key?: string): { info: StreamKeyInfo; key: string };
  listKeys(channel?: string): StreamKeyInfo[];
  /** The active key with this label, whole (for the start banner). */
  keyByLabel(channel: string, label: string): string | undefined;
  /** Sets the active key with this label to `key` (LIVEROOM_STREAM_KEY), revoking any other under that label, atomically. */
  setKeyByLabel(channel: string, label: string, key: string): void;
  /** True when the key was active. */
  revokeKey(id: string): boolean;
  /** The channel a publish key opens, or undefined for an unknown or revoked key. */
  channelForKey(key: string): string | undefined;
}
