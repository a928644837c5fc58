export interface Channel {
  name: string;
  title: string;
  /** Shown below the video and in link previews; '' for none. */
  description: string;
  /** Shown on the offline card; '' for the default wording. */
  offlineMessage: string;
  /** Assigned transcode profile, or null for the server default. */
  profile: string | null;
  createdAt: number;
}

/** The channel's profile, as the admin API changes it. */
export type ChannelInfoChange = Partial<Pick<Channel, 'title' | 'description' | 'offlineMessage'>>;

/** What anyone may see of a stream key: never the key, nor any part of it. */
export interface StreamKeyInfo {
  id: string;
  channel: string;
  label: string;
  createdAt: number;
  revokedAt: number | null;
}

/** A new key's record: only its digest (core/secrets.ts hashSecret) is stored. */
export interface NewStreamKey {
  id: string;
  channel: string;
  label: string;
  keyHash: string;
  createdAt: number;
}

/**
 * Channels and their stream keys, by digest. ingest/stream-keys.ts makes and
 * checks the keys; this only keeps records. The embedded implementation is
 * storage/sqlite/sqlite-channel-store.ts.
 */
export interface ChannelStore {
  list(): Promise<Channel[]>;
  get(name: string): Promise<Channel | undefined>;
  create(name: string, title?: string): Promise<Channel>;
  setProfile(name: string, profile: string | null): Promise<void>;
  /** Changes the fields given (title, description, offline message); the others stay. */
  setInfo(name: string, info: ChannelInfoChange): Promise<void>;

  addKey(key: NewStreamKey): Promise<StreamKeyInfo>;
  listKeys(channel?: string): Promise<StreamKeyInfo[]>;
  /**
   * Makes `key` the one active key with its label in its channel, atomically:
   * other active keys under that label are revoked; a record with the same
   * digest is replaced. Nothing changes when it is active in that channel already.
   */
  setKeyByLabel(key: NewStreamKey): Promise<void>;
  /** True when the key was active. */
  revokeKey(id: string, now: number): Promise<boolean>;
  /** The active key with this digest, with its digest (for the final constant-time check). */
  activeKeyByHash(keyHash: string): Promise<(StreamKeyInfo & { keyHash: string }) | undefined>;
}
