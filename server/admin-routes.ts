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
  view(channel: string): ChannelView | undefined;
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
  keysRevoked(): void;
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
  const channel = (name: string) => {
    const ch = channels.get(name);
    if (!ch) throw fail('LR_CHANNEL_NOT_FOUND', { channel: name });
    return ch;
  };
  const keyById = (id: string): StreamKeyInfo => {
    const key = channels.listKeys().find((k) => k.id === id);
    if (!key) throw fail('LR_KEY_NOT_FOUND', { id });
    return key;
  };
  const channelJson = (name: string) => {
    const ch = channel(name);
    const keys = channels.listKeys(name);
    return {
      ...ch,
      effectiveProfile: ch.profile ?? deps.defaultProfile,
      live: deps.view(name)?.live ?? false,
      activeKeys: keys.filter((k) => k.revokedAt === null).length,
    };
  };

  // Channels
  router.get('/channels', (_req, res) => {
    res.json({ channels: channels.list().map((c) => channelJson(c.name)) });
  });
  router.post('/channels', (req, res) => {
    const b = body(req);
    const name = b.name;
    if (!isName(name)) {
      throw fail('LR_CHANNEL_INVALID', { field: 'name' });
    }
    const info = channelInfoChange(b);
    if (channels.get(name)) throw fail('LR_CHANNEL_EXISTS', { channel: name });
    if (b.profile !== undefined && b.profile !== null && (typeof b.profile !== 'string' || !profiles.get(b.profile))) {
      throw fail('LR_PROFILE_NOT_FOUND', { name: String(b.profile) });
    }
    channels.create(name, info.title ?? name);
    channels.setInfo(name, info);
    if (typeof b.profile === 'string') profiles.assign(name, b.profile);
    res.status(201).json(channelJson(name));
  });
  router.get('/channels/:name', (req, res) => {
    res.json(channelJson(req.params.name));
  });
  // The channel's profile: title, description, offline message (each optional; the others stay).
  router.patch('/channels/:name', (req, res) => {
    const name = req.params.name;
    channel(name);
    const info = channelInfoChange(body(req));
    if (Object.keys(info).length === 0) throw fail('LR_BAD_REQUEST', { problem: "give at least one of 'title', 'description', 'offlineMessage'" });
    channels.setInfo(name, info);
    const ch = channel(name);
    deps.profileChanged({ channel: name, title: ch.title, description: ch.description, offlineMessage: ch.offlineMessage });
    res.json(channelJson(name));
  });
  router.put('/channels/:name/profile', (req, res) => {
    const name = req.params.name;
    channel(name);
    const profile = body(req).profile;
    if (profile !== null && typeof profile !== 'string') throw fail('LR_BAD_REQUEST', { problem: "'profile' must be a profile name, or null for the server default" });
    profiles.assign(name, profile);
    const live = deps.publishing(name);
    res.json({
      ...channelJson(name),
      appliesTo: live ? 'the next publish (restart the channel to apply it now)' : 'the next publish',
    });
  });
  router.post('/channels/:name/restart', async (req, res) => {
    const name = req.params.name;
    const ch = channel(name);
    if (!(await deps.restart(name))) {
      throw fail('LR_CHANNEL_NOT_LIVE', { channel: name });
    }
    res.json({ channel: name, restarted: true, profile: ch.profile ?? deps.defaultProfile });
  });

  // Stream keys
  router.get('/keys', (req, res) => {
    const ch = typeof req.query.channel === 'string' ? req.query.channel : undefined;
    if (ch) channel(ch);
    res.json({ keys: channels.listKeys(ch) });
  });
  router.post('/channels/:name/keys', (req, res) => {
    const name = req.params.name;
    channel(name);
    const label = body(req).label ?? `key-${channels.listKeys(name).length + 1}`;
    if (typeof label !== 'string' || !KEY_LABEL_PATTERN.test(label)) throw fail('LR_KEY_INVALID');
    const { key, info } = deps.keys.create(name, label);
    res.status(201).json({ ...info, key });
  });
  router.post('/keys/:id/rotate', (req, res) => {
    const old = keyById(req.params.id);
    if (old.revokedAt !== null) throw fail('LR_KEY_REVOKED', { id: old.id, rotating: true });
    const { key, info } = deps.keys.rotate(old);
    deps.keysRevoked();
    res.status(201).json({ ...info, key, replaces: old.id });
  });
  router.delete('/keys/:id', (req, res) => {
    const key = keyById(req.params.id);
    if (key.revokedAt !== null) throw fail('LR_KEY_REVOKED', { id: key.id, rotating: false });
    deps.keys.revoke(key.id);
    deps.keysRevoked();
    res.json(keyById(key.id));
  });

  // Moderator and streamer tokens (chat roles; they administer nothing)
  const tokenById = (id: string): ModeratorTokenInfo => {
    const t = deps.moderators.get(id);
    if (!t) throw fail('LR_MODERATOR_NOT_FOUND', { id });
    return t;
  };
  router.get('/moderators', (req, res) => {
    const ch = typeof req.query.channel === 'string' ? req.query.channel : undefined;
    if (ch) channel(ch);
    res.json({ moderators: deps.moderators.list(ch) });
  });
  router.post('/channels/:name/moderators', (req, res) => {
    const name = req.params.name;
    channel(name);
    const b = body(req);
    if (typeof b.label !== 'string' || !KEY_LABEL_PATTERN.test(b.label)) throw fail('LR_MODERATOR_INVALID', { field: 'label' });
    const role = b.role ?? 'moderator';
    if (role !== 'moderator' && role !== 'streamer') throw fail('LR_MODERATOR_INVALID', { field: 'role' });
    const { info, token } = deps.moderators.create(name, b.label, role as TokenRole);
    res.status(201).json({ ...info, token });
  });
  router.delete('/moderators/:id', async (req, res) => {
    const t = tokenById(req.params.id);
    if (t.revokedAt !== null) throw fail('LR_MODERATOR_REVOKED', { id: t.id });
    deps.moderators.revoke(t.id);
    const disconnected = await deps.tokenRevoked(t.id);
    res.json({ ...tokenById(t.id), disconnected });
  });

  // Profiles
  router.get('/profiles', (_req, res) => {
    res.json({ defaultProfile: deps.defaultProfile, profiles: profiles.list().map(profileJson) });
  });
  router.get('/profiles/:name', (req, res) => {
    const entry = profiles.get(req.params.name);
    if (!entry) throw fail('LR_PROFILE_NOT_FOUND', { name: req.params.name });
    res.json(profileJson(entry));
  });
  router.post('/profiles', (req, res) => {
    res.status(201).json(profileJson(profiles.create(body(req))));
  });
  router.put('/profiles/:name', (req, res) => {
    res.json(profileJson(profiles.replace(req.params.name, body(req))));
  });
  router.delete('/profiles/:name', (req, res) => {
    profiles.delete(req.params.name, deps.defaultProfile);
    res.json({ deleted: req.params.name });
  });

  // Live status and encoders
  router.get('/status', (req, res) => {
    const only = typeof req.query.channel === 'string' ? req.query.channel : undefined;
    if (only) channel(only);
    const jobs = new Map(deps.transcodes().map((j) => [j.channel, j]));
    const list = channels.list().filter((c) => !only || c.name === only);
    const cluster = deps.cluster;
    res.json({
      ...(cluster && { node: cluster.node, nodes: cluster.nodes().map((n) => ({ id: n.id, url: n.url, startedAt: n.startedAt })) }),
      channels: list.map((c) => {
        const view = deps.view(c.name);
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
      }),
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
