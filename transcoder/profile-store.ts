import { fail } from '../core/errors';
import type { Channel, ChannelStore } from '../storage/channel-store';
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

  async list(): Promise<ProfileEntry[]> {
    const [stored, channels] = await Promise.all([this.store.list(), this.channelStore.list()]);
    return [...BUILTIN_PROFILES.map((p) => this.entry(p, true, channels)), ...stored.map((r) => this.fromStored(r, channels))];
  }

  async get(name: string): Promise<ProfileEntry | undefined> {
    const builtin = builtinProfile(name);
    const channels = await this.channelStore.list();
    if (builtin) return this.entry(builtin, true, channels);
    const stored = await this.store.get(name);
    return stored && this.fromStored(stored, channels);
  }

  /** The profile by name, built-in or stored (no channel list: what a publish needs). */
  async resolve(name: string): Promise<Profile | undefined> {
    const builtin = builtinProfile(name);
    if (builtin) return builtin;
    return (await this.store.get(name))?.body as Profile | undefined;
  }

  async create(input: unknown): Promise<ProfileEntry> {
    const profile = validateProfile(input);
    if (builtinProfile(profile.name)) {
      throw fail('LR_PROFILE_EXISTS', { name: profile.name, builtin: true });
    }
    if (!(await this.store.insert(profile.name, profile, Date.now()))) {
      throw fail('LR_PROFILE_EXISTS', { name: profile.name, builtin: false });
    }
    return (await this.get(profile.name))!;
  }

  /** Replaces a stored profile as a whole (the name in the body, if any, must match). */
  async replace(name: string, input: unknown): Promise<ProfileEntry> {
    if (builtinProfile(name)) {
      throw fail('LR_PROFILE_BUILTIN', { name, change: 'changed' });
    }
    if (!(await this.get(name))) throw fail('LR_PROFILE_NOT_FOUND', { name });
    const body = input && typeof input === 'object' && !Array.isArray(input) ? { ...(input as object) } : input;
    if (body && typeof body === 'object' && !('name' in body)) (body as Record<string, unknown>).name = name;
    const profile = validateProfile(body);
    if (profile.name !== name) {
      throw fail('LR_PROFILE_INVALID', { problems: `'name' ('${profile.name}') must match the profile being edited ('${name}')` });
    }
    if (!(await this.store.update(name, profile, Date.now()))) throw fail('LR_PROFILE_NOT_FOUND', { name });
    return (await this.get(name))!;
  }

  /** Deletes a stored profile that no channel uses and that is not the server's default. */
  async delete(name: string, serverDefault: string): Promise<void> {
    if (builtinProfile(name)) throw fail('LR_PROFILE_BUILTIN', { name, change: 'deleted' });
    const entry = await this.get(name);
    if (!entry) throw fail('LR_PROFILE_NOT_FOUND', { name });
    if (entry.channels.length > 0) throw fail('LR_PROFILE_IN_USE', { name, assignedTo: entry.channels });
    if (name === serverDefault) throw fail('LR_PROFILE_IN_USE', { name, serverDefault: true });
    await this.store.delete(name);
  }

  /** Assigns a profile to a channel (null: the server default). Applies to the channel's next publish. */
  async assign(channel: string, name: string | null): Promise<void> {
    if (!(await this.channelStore.get(channel))) throw fail('LR_CHANNEL_NOT_FOUND', { channel });
    if (name !== null && !(await this.resolve(name))) {
      throw fail('LR_PROFILE_NOT_FOUND', { name, builtins: BUILTIN_PROFILES.map((p) => p.name) });
    }
    await this.channelStore.setProfile(channel, name);
  }

  private fromStored(r: StoredProfile, all: Channel[]): ProfileEntry {
    return { ...this.entry(r.body as Profile, false, all), createdAt: r.createdAt, updatedAt: r.updatedAt };
  }

  private entry(profile: Profile, builtin: boolean, all: Channel[]): ProfileEntry {
    const channels = all.filter((c) => c.profile === profile.name).map((c) => c.name);
    return { profile, builtin, channels, createdAt: null, updatedAt: null };
  }
}
