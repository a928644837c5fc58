import express, { Router, type Request } from 'express';
import type { ChannelInfoChange, ChannelStore, StreamKeyInfo } from '../storage/channel-store';
import type { StreamKeys } from '../ingest/stream-keys';
import type { ModeratorTokenInfo, ModeratorTokens, TokenRole } from '../chat/moderator-tokens';
import type { EncoderReport } from '../transcoder/encoder-probe';
import type { ProfileEntry, ProfileStore } from '../transcoder/profile-store';
import type { LiveTranscode } from '../transcoder/transcoder';
import { requireAdminToken } from './admin-token';
import type { ChannelView } from './channel-status';
import { fail } from '../core/errors';
import { DESCRIPTION_MAX_LENGTH, isName, KEY_LABEL_PATTERN, OFFLINE_MESSAGE_MAX_LENGTH, TITLE_MAX_LENGTH } from '../core/names';
import type { ChannelProfileChanged } from '../core/events';
import { sendError } from './http-errors';

export interface AdminDeps {
  /** The admin token's digest (core/secrets.ts). */
  tokenHash: string;
  channels: ChannelStore;
  /** Makes, rotates and revokes stream keys (shown whole only in the create and rotate responses). */
  keys: StreamKeys;
  profiles: ProfileStore;
  /** 'transcoder.defaultProfile': what channels without an assigned profile use. */
  defaultProfile: string;
  /** Public status (live, renditions as the packager measures them). */
  view(channel: string): Promise<ChannelView | undefined>;
  /** Whether the channel is live now (in memory, no store read). */
  live(channel: string): boolean;
  viewers(channel: string): number;
  /** The transcoder's live jobs. */
  transcodes(): LiveTranscode[];
  /** A publisher is connected to the channel. */
  publishing(channel: string): boolean;
  encoders(): Promise<EncoderReport>;
  /** Restarts the channel's transcoder with its current profile; false when not live. */
  restart(channel: string): Promise<boolean>;
  /** Moderator and streamer tokens for the chat (shown whole only in the create response). */
  moderators: ModeratorTokens;
  /** A chat token was revoked: its live chat sessions are disconnected. */
  tokenRevoked(id: string): Promise<unknown>;
  /** Stream keys were revoked: publishers whose key no longer opens their channel are disconnected. */
  keysRevoked(): Promise<void>;
  /** A channel's title, description or offline message changed: open pages are told. */
  profileChanged(e: ChannelProfileChanged): void;
  /** Nodes on separate hosts ('cluster.nodeUrl'): this node, the nodes in the registry, and the channels live on other nodes. */
  cluster?: {
    node: string;
    nodes(): { id: string; url: string; startedAt: number }[];
    origin(channel: string): { node: string; url: string; since: number; publishing: boolean } | undefined;
  };
}

/** The profile fields of a request body, checked: title 1 to TITLE_MAX_LENGTH characters (trimmed), the others up to theirs. */
export function channelInfoChange(b: Record<string, unknown>): ChannelInfoChange {
  const out: ChannelInfoChange = {};
  const limits = { title: TITLE_MAX_LENGTH, description: DESCRIPTION_MAX_LENGTH, offlineMessage: OFFLINE_MESSAGE_MAX_LENGTH } as const;
  for (const field of ['title', 'description', 'offlineMessage'] as const) {
    const v = b[field];
    if (v === undefined) continue;
    const text = typeof v === 'string' ? v.trim() : undefined;
    if (text === undefined || [...text].length > limits[field] || (field === 'title' && text === '')) throw fail('LR_CHANNEL_INVALID', { field });
    out[field] = text;
  }
  return out;
}

const profileJson = (e: ProfileEntry) => ({ ...e.profile, keyframes: e.profile.keyframes ?? 'source', builtin: e.builtin, channels: e.channels, createdAt: e.createdAt, updatedAt: e.updatedAt });

/**
 * The admin REST API under /api/admin, behind the admin token: channels, stream
 * keys, transcode profiles and their assignment, live status, encoders.
 */
export function adminRoutes(deps: AdminDeps): Router {
  const { channels, profiles } = deps;
  const router = Router();
  router.use(requireAdminToken(deps.tokenHash));
  router.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  router.use(express.json({ limit: '64kb' }));

  const body = (req: Request): Record<string, unknown> => {
    const b: unknown = req.body;
    if (b === undefined) return {};
    if (!b || typeof b !== 'object' || Array.isArray(b)) throw fail('LR_BAD_REQUEST', { problem: 'the request body must be a JSON object' });
    return b as Record<string, unknown>;
  };
  const channel = async (name: string) => {
    const ch = await channels.get(name);
    if (!ch) throw fail('LR_CHANNEL_NOT_FOUND', { channel: name });
    return ch;
  };
  const keyById = async (id: string): Promise<StreamKeyInfo> => {
    const key = (await channels.listKeys()).find((k) => k.id === id);
    if (!key) throw fail('LR_KEY_NOT_FOUND', { id });
    return key;
  };
  const channelJson = async (name: string) => {
    const ch = await channel(name);
    const keys = await channels.listKeys(name);
    return {
      ...ch,
      effectiveProfile: ch.profile ?? deps.defaultProfile,
      live: deps.live(name),
      activeKeys: keys.filter((k) => k.revokedAt === null).length,
    };
  };

  // Channels
  router.get('/channels', async (_req, res) => {
    res.json({ channels: await Promise.all((await channels.list()).map((c) => channelJson(c.name))) });
  });
  router.post('/channels', async (req, res) => {
    const b = body(req);
    const name = b.name;
    if (!isName(name)) {
      throw fail('LR_CHANNEL_INVALID', { field: 'name' });
    }
    const info = channelInfoChange(b);
    if (await channels.get(name)) throw fail('LR_CHANNEL_EXISTS', { channel: name });
    if (b.profile !== undefined && b.profile !== null && (typeof b.profile !== 'string' || !(await profiles.resolve(b.profile)))) {
      throw fail('LR_PROFILE_NOT_FOUND', { name: String(b.profile) });
    }
    await channels.create(name, info.title ?? name);
    await channels.setInfo(name, info);
    if (typeof b.profile === 'string') await profiles.assign(name, b.profile);
    res.status(201).json(await channelJson(name));
  });
  router.get('/channels/:name', async (req, res) => {
    res.json(await channelJson(req.params.name));
  });
  // The channel's profile: title, description, offline message (each optional; the others stay).
  router.patch('/channels/:name', async (req, res) => {
    const name = req.params.name;
    await channel(name);
    const info = channelInfoChange(body(req));
    if (Object.keys(info).length === 0) throw fail('LR_BAD_REQUEST', { problem: "give at least one of 'title', 'description', 'offlineMessage'" });
    await channels.setInfo(name, info);
    const ch = await channel(name);
    deps.profileChanged({ channel: name, title: ch.title, description: ch.description, offlineMessage: ch.offlineMessage });
    res.json(await channelJson(name));
  });
  router.put('/channels/:name/profile', async (req, res) => {
    const name = req.params.name;
    await channel(name);
    const profile = body(req).profile;
    if (profile !== null && typeof profile !== 'string') throw fail('LR_BAD_REQUEST', { problem: "'profile' must be a profile name, or null for the server default" });
    await profiles.assign(name, profile);
    const live = deps.publishing(name);
    res.json({
      ...(await channelJson(name)),
      appliesTo: live ? 'the next publish (restart the channel to apply it now)' : 'the next publish',
    });
  });
  router.post('/channels/:name/restart', async (req, res) => {
    const name = req.params.name;
    const ch = await channel(name);
    if (!(await deps.restart(name))) {
      throw fail('LR_CHANNEL_NOT_LIVE', { channel: name });
    }
    res.json({ channel: name, restarted: true, profile: ch.profile ?? deps.defaultProfile });
  });

  // Stream keys
  router.get('/keys', async (req, res) => {
    const ch = typeof req.query.channel === 'string' ? req.query.channel : undefined;
    if (ch) await channel(ch);
    res.json({ keys: await channels.listKeys(ch) });
  });
  router.post('/channels/:name/keys', async (req, res) => {
    const name = req.params.name;
    await channel(name);
    const label = body(req).label ?? `key-${(await channels.listKeys(name)).length + 1}`;
    if (typeof label !== 'string' || !KEY_LABEL_PATTERN.test(label)) throw fail('LR_KEY_INVALID');
    const { key, info } = await deps.keys.create(name, label);
    res.status(201).json({ ...info, key });
  });
  router.post('/keys/:id/rotate', async (req, res) => {
    const old = await keyById(req.params.id);
    if (old.revokedAt !== null) throw fail('LR_KEY_REVOKED', { id: old.id, rotating: true });
    const { key, info } = await deps.keys.rotate(old);
    await deps.keysRevoked();
    res.status(201).json({ ...info, key, replaces: old.id });
  });
  router.delete('/keys/:id', async (req, res) => {
    const key = await keyById(req.params.id);
    if (key.revokedAt !== null) throw fail('LR_KEY_REVOKED', { id: key.id, rotating: false });
    await deps.keys.revoke(key.id);
    await deps.keysRevoked();
    res.json(await keyById(key.id));
  });

  // Moderator and streamer tokens (chat roles; they administer nothing)
  const tokenById = async (id: string): Promise<ModeratorTokenInfo> => {
    const t = await deps.moderators.get(id);
    if (!t) throw fail('LR_MODERATOR_NOT_FOUND', { id });
    return t;
  };
  router.get('/moderators', async (req, res) => {
    const ch = typeof req.query.channel === 'string' ? req.query.channel : undefined;
    if (ch) await channel(ch);
    res.json({ moderators: await deps.moderators.list(ch) });
  });
  router.post('/channels/:name/moderators', async (req, res) => {
    const name = req.params.name;
    await channel(name);
    const b = body(req);
    if (typeof b.label !== 'string' || !KEY_LABEL_PATTERN.test(b.label)) throw fail('LR_MODERATOR_INVALID', { field: 'label' });
    const role = b.role ?? 'moderator';
    if (role !== 'moderator' && role !== 'streamer') throw fail('LR_MODERATOR_INVALID', { field: 'role' });
    const { info, token } = await deps.moderators.create(name, b.label, role as TokenRole);
    res.status(201).json({ ...info, token });
  });
  router.delete('/moderators/:id', async (req, res) => {
    const t = await tokenById(req.params.id);
    if (t.revokedAt !== null) throw fail('LR_MODERATOR_REVOKED', { id: t.id });
    await deps.moderators.revoke(t.id);
    const disconnected = await deps.tokenRevoked(t.id);
    res.json({ ...(await tokenById(t.id)), disconnected });
  });

  // Profiles
  router.get('/profiles', async (_req, res) => {
    res.json({ defaultProfile: deps.defaultProfile, profiles: (await profiles.list()).map(profileJson) });
  });
  router.get('/profiles/:name', async (req, res) => {
    const entry = await profiles.get(req.params.name);
    if (!entry) throw fail('LR_PROFILE_NOT_FOUND', { name: req.params.name });
    res.json(profileJson(entry));
  });
  router.post('/profiles', async (req, res) => {
    res.status(201).json(profileJson(await profiles.create(body(req))));
  });
  router.put('/profiles/:name', async (req, res) => {
    res.json(profileJson(await profiles.replace(req.params.name, body(req))));
  });
  router.delete('/profiles/:name', async (req, res) => {
    await profiles.delete(req.params.name, deps.defaultProfile);
    res.json({ deleted: req.params.name });
  });

  // Live status and encoders
  router.get('/status', async (req, res) => {
    const only = typeof req.query.channel === 'string' ? req.query.channel : undefined;
    if (only) await channel(only);
    const jobs = new Map(deps.transcodes().map((j) => [j.channel, j]));
    const list = (await channels.list()).filter((c) => !only || c.name === only);
    const cluster = deps.cluster;
    res.json({
      ...(cluster && { node: cluster.node, nodes: cluster.nodes().map((n) => ({ id: n.id, url: n.url, startedAt: n.startedAt })) }),
      channels: await Promise.all(list.map(async (c) => {
        const view = await deps.view(c.name);
        const job = jobs.get(c.name);
        const remote = job ? undefined : cluster?.origin(c.name);
        return {
          name: c.name,
          /** Which node ingests it: this one (null when offline), or another (its HLS is proxied there). */
          origin: remote
            ? { node: remote.node, url: remote.url, since: remote.since, publishing: remote.publishing }
            : view?.live && cluster
              ? { node: cluster.node, url: null, since: view.since, publishing: deps.publishing(c.name) }
              : null,
          live: view?.live ?? false,
          publishing: deps.publishing(c.name),
          since: view?.since ?? 0,
          profile: job?.profile ?? c.profile ?? deps.defaultProfile,
          viewers: deps.viewers(c.name),
          shares: view?.shares ?? { total: 0, broadcast: null },
          input: job
            ? {
                width: job.source.width, height: job.source.height, frameRate: job.source.frameRate,
                videoCodec: job.source.videoCodec, audioCodec: job.source.audioCodec,
                kbps: job.inputKbps, announcedKbps: job.source.videoKbps + job.source.audioKbps,
                droppedFrames: job.dropped.videoFrames, droppedAudioFrames: job.dropped.audioFrames,
              }
            : null,
          encoder: job
            ? { name: job.encoder, reason: job.encoderReason, speed: job.progress?.speed ?? null, fps: job.progress?.fps ?? null, outputKbps: job.progress?.kbps ?? null, restarts: job.restarts }
            : null,
          renditions: (view?.renditions ?? []).map((r) => ({ ...r, copy: job?.renditions.find((p) => p.spec.name === r.name)?.spec.copy ?? false })),
          notes: job?.notes ?? [],
        };
      })),
    });
  });
  router.get('/encoders', async (_req, res) => {
    const report = await deps.encoders();
    // The encoders' private option lists are for the argument builders, not for people.
    res.json({ ...report, encoders: report.encoders.map((e) => ({ ...e, setup: e.setup && { ...e.setup, options: undefined } })) });
  });

  // Unknown admin paths answer 404 JSON here, behind the token (nothing leaks to the unauthenticated).
  router.use((req, res) => {
    sendError(res, fail('LR_NOT_FOUND', { method: req.method, path: `/api/admin${req.path}` }));
  });
  return router;
}
