/** An operator-defined transcode profile as stored; transcoder/profile-store.ts validates and interprets `body`. */
export interface StoredProfile {
  name: string;
  /** The validated profile, a JSON object. */
  body: unknown;
  createdAt: number;
  updatedAt: number;
}

/** Operator-defined transcode profiles (built-ins live in code). The embedded implementation is storage/sqlite/sqlite-transcode-profile-store.ts. */
export interface TranscodeProfileStore {
  /** By name. */
  list(): Promise<StoredProfile[]>;
  get(name: string): Promise<StoredProfile | undefined>;
  /** False when a profile with this name exists already. */
  insert(name: string, body: unknown, now: number): Promise<boolean>;
  /** False when there is no such profile. */
  update(name: string, body: unknown, now: number): Promise<boolean>;
  /** False when there was no such profile. */
  delete(name: string): Promise<boolean>;
}
