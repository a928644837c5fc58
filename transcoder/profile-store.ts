import { LiveroomError, notFound } from '../core/errors';
import type { ChannelStore } from '../storage/channel-store';
import type { StoredProfile, TranscodeProfileStore } from '../storage/transcode-profile-store';
import { validateProfile } from './profile-schema';
import { BUILTIN_PROFILES, builtinProfile, type Profile } from './profiles';

export interface ProfileEntry {
  profile: Profile;
  builtin: boolean;
  /** Channels that have this profile assigned. */
  channels: string[];
  createdAt: number | null;
  updatedAt: number | null;
}

const conflict = (code: string, message: string) => new LiveroomError(code, message, 409);

/**
 * Transcode profiles: the built-ins (in code, read-only) and the operator's own
 * (validated as a whole, kept in a TranscodeProfileStore), plus their assignment to channels.
 * A change applies to a channel's next publish (or a transcoder restart).
 */
export class ProfileStore {
  constructor(
    private readonly store: TranscodeProfileStore,
    private readonly channelStore: ChannelStore,
  ) {}

  list(): ProfileEntry[] {
    return [...BUILTIN_PROFILES.map((p) => this.entry(p, true)), ...this.store.list().map((r) => this.fromStored(r))];
  }

  get(name: string): ProfileEntry | undefined {
    const builtin = builtinProfile(name);
    if (builtin) return this.entry(builtin, true);
    const stored = this.store.get(name);
    return stored && this.fromStored(stored);
  }

  /** The profile by name, built-in or stored. */
  resolve(name: string): Profile | undefined {
    return this.get(name)?.profile;
  }

  create(input: unknown): ProfileEntry {
    const profile = validateProfile(input);
    if (builtinProfile(profile.name)) {
      throw conflict('LR_PROFILE_EXISTS', `'${profile.name}' is a built-in profile: choose another name`);
    }
    if (!this.store.insert(profile.name, profile, Date.now())) {
      throw conflict('LR_PROFILE_EXISTS', `profile '${profile.name}' already exists: edit it, or delete it first`);
    }
    return this.get(profile.name)!;
  }

  /** Replaces a stored profile as a whole (the name in the body, if any, must match). */
  replace(name: string, input: unknown): ProfileEntry {
    if (builtinProfile(name)) {
      throw conflict('LR_PROFILE_BUILTIN', `'${name}' is a built-in profile and cannot be changed: create a copy under another name`);
    }
    if (!this.get(name)) throw notFound('LR_PROFILE_NOT_FOUND', `no profile named '${name}'`);
    const body = input && typeof input === 'object' && !Array.isArray(input) ? { ...(input as object) } : input;
    if (body && typeof body === 'object' && !('name' in body)) (body as Record<string, unknown>).name = name;
    const profile = validateProfile(body);
    if (profile.name !== name) {
      throw new LiveroomError('LR_PROFILE_INVALID', `invalid profile: 'name' ('${profile.name}') must match the profile being edited ('${name}')`, 400);
    }
    this.store.update(name, profile, Date.now());
    return this.get(name)!;
  }

  /** Deletes a stored profile that no channel uses and that is not the server's default. */
  delete(name: string, serverDefault: string): void {
    if (builtinProfile(name)) throw conflict('LR_PROFILE_BUILTIN', `'${name}' is a built-in profile and cannot be deleted`);
    const entry = this.get(name);
    if (!entry) throw notFound('LR_PROFILE_NOT_FOUND', `no profile named '${name}'`);
    if (entry.channels.length > 0) {
      const list = entry.channels.map((c) => `'${c}'`).join(', ');
      throw conflict('LR_PROFILE_IN_USE', `profile '${name}' is assigned to ${list}: assign those channels another profile first`);
    }
    if (name === serverDefault) {
      throw conflict('LR_PROFILE_IN_USE', `profile '${name}' is the server's default ('transcoder.defaultProfile'): change that setting first`);
    }
    this.store.delete(name);
  }

  /** Assigns a profile to a channel (null: the server default). Applies to the channel's next publish. */
  assign(channel: string, name: string | null): void {
    if (!this.channelStore.get(channel)) throw notFound('LR_CHANNEL_NOT_FOUND', `no channel named '${channel}'`);
    if (name !== null && !this.get(name)) {
      throw notFound('LR_PROFILE_NOT_FOUND', `no profile named '${name}': see the profiles list (built-ins: ${BUILTIN_PROFILES.map((p) => p.name).join(', ')})`);
    }
    this.channelStore.setProfile(channel, name);
  }

  private fromStored(r: StoredProfile): ProfileEntry {
    return { ...this.entry(r.body as Profile, false), createdAt: r.createdAt, updatedAt: r.updatedAt };
  }

  private entry(profile: Profile, builtin: boolean): ProfileEntry {
    const channels = this.channelStore.list().filter((c) => c.profile === profile.name).map((c) => c.name);
    return { profile, builtin, channels, createdAt: null, updatedAt: null };
  }
}
