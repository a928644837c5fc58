import type { IncomingMessage } from 'node:http';
import type { Request } from 'express';
import type { LiveroomConfig } from '../core/config-schema';
import type { LiveroomEvents } from '../core/events';
import type { Logger } from '../core/logger';
import { TypedEmitter } from '../core/typed-emitter';
import { ChannelStatus } from './channel-status';
import { HttpServer } from './http-server';
import { hlsHandler } from './hls-handler';
import { channelRoutes } from './channel-routes';
import { playerRoutes } from './player-routes';
import { cors } from './cors';
import { errorHandler, notFoundHandler } from './http-errors';
import type { ChannelStore } from '../storage/channel-store';
import { StreamKeys } from '../ingest/stream-keys';
import type { Stores } from '../storage/stores';
import { openStores } from './open-stores';
import { IngestServer } from '../ingest/ingest-server';
import { Transcoder } from '../transcoder/transcoder';
import { builtinProfile } from '../transcoder/profiles';
import { ProfileStore } from '../transcoder/profile-store';
import { chooseEncoder, EncoderProbe } from '../transcoder/encoder-probe';
import { resolveFfmpegPath } from '../transcoder/ffmpeg-path';
import { adminRoutes } from './admin-routes';
import { Packager } from '../packager/packager';
import { BroadcastCoordinator } from '../broadcast/broadcast-coordinator';
import { fail } from '../core/errors';
import { ensureAdminToken } from './admin-token';
import { ChatServer } from '../chat/chat-server';
import { ModeratorTokens } from '../chat/moderator-tokens';
import { ClientAddressResolver } from '../core/client-address';
import { AddressSlots } from '../core/address-slots';
import { HeldRequests } from './held-requests';
import { originPolicy } from './origin-policy';
import { SECURITY_HEADERS, securityHeaders } from './security-headers';
import { TlsContext } from './tls-context';
import { Recordings } from '../recordings/recordings';
import { vodRoutes } from './vod-routes';
import { replayApiRoutes } from './replay-api-routes';
import { recordingAdminRoutes } from './recording-admin-routes';
import { Metrics } from './metrics';
import { metricsRoutes } from './metrics-routes';
import { Webhooks } from '../webhooks/webhooks';
import { webhookAdminRoutes } from './webhook-admin-routes';
import { BroadcastAnalytics } from '../analytics/broadcast-analytics';
import { analyticsAdminRoutes } from './analytics-admin-routes';
import { LiveThumbnails } from '../recordings/live-thumbnails';
import { thumbnailRoutes } from './thumbnail-routes';
import { shareRoutes } from './share-routes';
import { ClusterNode } from '../cluster/cluster-node';
import { originProxy } from './hls-origin-proxy';

export interface StartedInfo {
  /** What OBS publishes to: rtmps://HOST:<rtmp.tlsPort>/<app> with a certificate, rtmp://HOST:<rtmp.port>/<app> without. */
  rtmpUrl: string;
  /** The plain RTMP URL, which stays open beside RTMPS (encoders without TLS, a local OBS). */
  plainRtmpUrl: string;
  /** The default channel's stream key, only when this start created it: it is shown this once. */
  streamKey: string | undefined;
  /** Where the default channel's key stands: created now, given by the setting, kept from an earlier start, or none active. */
  streamKeyState: 'created' | 'setting' | 'kept' | 'none';
  channel: string;
  playerUrl: string;
  httpPort: number;
  rtmpPort: number;
  /** The RTMPS port, 0 without a certificate. */
  rtmpsPort: number;
  /** HTTPS (and RTMPS) on: 'http.tls' is set. */
  tls: boolean;
  /** The /metrics listener's own port ('metrics.port'); 0 when /metrics is on the HTTP port or off. */
  metricsPort: number;
}

/**
 * The composition root: builds every part from its config slice, wires the
 * typed events between them, and starts and stops them in order.
 */
export class Liveroom {
  readonly bus = new TypedEmitter<LiveroomEvents>();
  private stores?: Stores;
  channels?: ChannelStore;
  keys?: StreamKeys;
  ingest?: IngestServer;
  transcoder?: Transcoder;
  packager?: Packager;
  broadcasts?: BroadcastCoordinator;
  http?: HttpServer;
  status?: ChannelStatus;
  profiles?: ProfileStore;
  encoders?: EncoderProbe;
  chat?: ChatServer;
  moderatorTokens?: ModeratorTokens;
  /** HLS requests held open, per address (tests and status read the count). */
  heldRequests?: HeldRequests;
  /** Open status event streams, per address. */
  eventStreams?: AddressSlots;
  tls?: TlsContext;
  recordings?: Recordings;
  metrics?: Metrics;
  /** The listener of its own for /metrics ('metrics.port'), if any. */
  metricsHttp?: HttpServer;
  webhooks?: Webhooks;
  analytics?: BroadcastAnalytics;
  liveThumbnails?: LiveThumbnails;
  /** Nodes on separate hosts ('cluster.nodeUrl'): which node is each channel's origin, in Redis. */
  cluster?: ClusterNode;

  constructor(readonly config: LiveroomConfig, private readonly log: Logger) {}

  /** Builds, wires and starts every part; on any failure, releases whatever was taken and rethrows. */
  async start(): Promise<StartedInfo> {
    try {
      return await this.startParts();
    } catch (err) {
      await this.stop().catch(() => {});
      throw err;
    }
  }

  private async startParts(): Promise<StartedInfo> {
    const { config, log, bus } = this;
    const stores = (this.stores = await openStores(config, log));
    const channels = (this.channels = stores.channels);
    const admin = ensureAdminToken(config.dataDir);
    const keys = (this.keys = new StreamKeys(channels));
    const streamKey = await this.ensureDefaultChannel(channels, keys);
    const profiles = (this.profiles = new ProfileStore(stores.profiles, channels));
    if (!(await profiles.resolve(config.transcoder.defaultProfile))) {
      const names = (await profiles.list()).map((e) => e.profile.name).join(', ');
      throw fail('LR_CONFIG_INVALID', { problem: `'transcoder.defaultProfile' names no profile '${config.transcoder.defaultProfile}' (there are: ${names})` });
    }

    // Built bottom-up: each part is built after everything its closures use.
    const packager = (this.packager = new Packager(
      config.hls,
      log.child({ module: 'packager' }),
      (channel, live, publishId) => bus.emit('channel:state', { channel, live, publishId, since: Date.now() }),
      { init: (e) => bus.emit('media:init', e), segment: (e) => bus.emit('media:segment', e) },
    ));
    // Nodes on separate hosts: the channels other nodes ingest, from the registry's memory (never waits on Redis).
    const { nodeUrl } = config.cluster;
    const remoteOrigin = (name: string) => this.cluster?.remoteOrigin(name);
    const broadcastOnAir = (name: string) => {
      const cp = packager.channel(name);
      return (cp?.isLive && cp.broadcastId) || null;
    };
    const status = (this.status = new ChannelStatus({
      lookup: (name) => channels.get(name),
      renditions: (name) => packager.channel(name)?.summaries() ?? [],
      shares: (name, broadcastId) => stores.shares.counts(name, broadcastId),
      broadcastOnAir,
      remote: (name) => remoteOrigin(name),
    }, (err) => log.error({ err }, 'channel status could not be sent')));
    // Which H.264 encoders really work here; a publish that needs an encoder waits for the answer.
    const encoders = (this.encoders = new EncoderProbe({
      ffmpegPath: resolveFfmpegPath(config.transcoder.ffmpegPath),
      device: config.transcoder.hwDevice,
      timeoutMs: config.transcoder.probeTimeoutMs,
      log: log.child({ module: 'encoders' }),
    }));
    const transcoder = (this.transcoder = new Transcoder({
      config: config.transcoder,
      hls: config.hls,
      profileFor: async (channel) => {
        const name = (await channels.get(channel))?.profile ?? config.transcoder.defaultProfile;
        return (await profiles.resolve(name)) ?? builtinProfile('default')!;
      },
      encoderFor: async (choice) => chooseEncoder(choice, await encoders.report()),
      bus,
      log: log.child({ module: 'transcoder' }),
    }));
    // One certificate for HTTPS, the chat's WSS and RTMPS; a renewal reaches all three without a restart.
    const { cert, key, checkIntervalMs } = config.http.tls;
    const tls = (this.tls = cert && key ? new TlsContext({ cert, key, checkIntervalMs }, log.child({ module: 'tls' })) : undefined);
    const ingest = (this.ingest = new IngestServer({
      config: config.rtmp,
      channelForKey: (key) => keys.channelForKey(key),
      bus,
      log: log.child({ module: 'ingest' }),
      ...(tls && { secureContext: () => tls.current.context }),
      refusePublish: (channel) => this.cluster?.refusal(channel),
    }));
    const cluster = (this.cluster =
      nodeUrl && config.chat.redisUrl
        ? new ClusterNode({
            config: { ...config.cluster, nodeUrl },
            redisUrl: config.chat.redisUrl,
            publicUrl: config.http.publicUrl,
            bus,
            ingest,
            broadcastLive: (name) => packager.channel(name)?.isLive ?? false,
            remoteChanged: (name) => status.refresh(name),
            log: log.child({ module: 'cluster' }),
          })
        : undefined);
    const broadcasts = (this.broadcasts = new BroadcastCoordinator({
      bus,
      transcoder,
      packager,
      ingest,
      log: log.child({ module: 'broadcast' }),
      reconnectGraceMs: config.hls.reconnectGraceMs,
    }));
    bus.on('channel:state', (e) => status.set(e.channel, e.live));
    bus.on('channel:profile', (e) => void status.refresh(e.channel)); // open pages get the new title without a reload

    // One answer to "who is this?" for every per-address rule: HTTP limits, chat limits, bans, viewer counts.
    const addresses = new ClientAddressResolver(config.http.trustedProxies);
    const clientAddress = (req: IncomingMessage) => addresses.resolve(req.socket.remoteAddress, req.headers['x-forwarded-for']);
    const http = (this.http = new HttpServer(config.http, log.child({ module: 'http' }), tls?.current));
    tls?.onChange((pair) => http.setCertificate(pair));
    const app = http.app;
    app.use(securityHeaders());
    app.use('/api/channels', cors(config.http.corsOrigin));
    const held = (this.heldRequests = new HeldRequests(config.http.maxHeldRequestsPerAddress, clientAddress));
    // Prometheus series from the bus and the parts' own counts (server/metrics.ts); the closures are read at scrape time.
    // A store that does not answer (PostgreSQL down) leaves the channels of the last scrape: /metrics stays up in an outage.
    let knownChannels: string[] = [];
    const metrics = (this.metrics = config.metrics.enabled
      ? new Metrics({
          bus,
          channels: async () => (knownChannels = await channels.list().then((list) => list.map((c) => c.name), () => knownChannels)),
          transcodes: () => transcoder.live(),
          heldRequests: () => held.count(),
          viewers: (name) => chat.localViewers(name),
          chatConnections: () => chat.socketsOpen(),
        })
      : undefined);
    // Engagement per broadcast (analytics/): viewers sampled from the chat's counts and the HLS requests, chat, likes, shares.
    const analytics = (this.analytics = config.analytics.enabled
      ? new BroadcastAnalytics({
          config: config.analytics,
          bus,
          store: stores.analytics,
          chatAudience: (name) => chat.audience(name),
          likes: (name) => chat.likeTotal(name),
          log: log.child({ module: 'analytics' }),
        })
      : undefined);
    // Another node's channel: proxied to (or redirected at) its origin, before anything here counts or answers it.
    const hlsElsewhere = cluster
      ? originProxy({
          self: cluster.nodeId,
          remoteOrigin,
          route: (req) => {
            const path = (req.url ?? '/').split('?')[0].slice('/hls'.length);
            const segs = path.split('/').filter(Boolean);
            return segs.length >= 2 ? { channel: segs[0], broadcast: segs.length >= 3 ? segs[1] : undefined } : undefined;
          },
          // A broadcast this node has is served here; a multivariant playlist here only while this node ingests the channel.
          servesLocally: (channel, broadcast) => (broadcast !== undefined ? packager.channel(channel)?.hasBroadcast(broadcast) ?? false : ingest.isLive(channel)),
          mode: config.cluster.hlsMode,
          timeoutMs: config.cluster.proxyTimeoutMs,
          log: log.child({ module: 'cluster' }),
        })
      : undefined;
    // Every request under /hls, answered before Express (server/hls-handler.ts): the hot path of every viewer.
    http.handleFirst(
      hlsHandler({
        packager,
        hls: config.hls,
        held,
        corsOrigin: config.http.corsOrigin,
        clientAddress,
        metrics,
        analytics,
        elsewhere: hlsElsewhere,
        log: log.child({ module: 'http' }),
      }),
    );
    const channelExists = async (name: string) => (await channels.get(name)) !== undefined;
    const moderatorTokens = (this.moderatorTokens = new ModeratorTokens(stores.moderatorTokens));
    const chat = (this.chat = new ChatServer({
      config: config.chat,
      stores,
      log: log.child({ module: 'chat' }),
      channelExists,
      moderatorTokens,
      clientAddress: (peer, forwardedFor) => addresses.resolve(peer, forwardedFor),
      allowOrigin: originPolicy(config.http),
      responseHeaders: SECURITY_HEADERS,
      // On PostgreSQL each moderation check is a round trip: cached per channel. SQLite reads in process, as before.
      moderationCacheMs: config.databaseUrl ? config.chat.moderationCacheMs : 0,
      bus,
    }));
    // Every broadcast kept as a replay: the packager's own segments to disk, indexed (recordings/).
    const recordings = (this.recordings = new Recordings({
      config: config.recordings,
      dataDir: config.dataDir,
      store: stores.recordings,
      bus,
      log: log.child({ module: 'recordings' }),
      title: async (name: string) => (await channels.get(name))?.title ?? name,
      viewers: (name) => chat.viewerCount(name),
      likes: (name) => stores.likes.total(name),
      messagesBetween: (name, from, to) => stores.messages.countBetween(name, from, to),
      ffmpegPath: resolveFfmpegPath(config.transcoder.ffmpegPath),
    }));
    // Each live channel's thumbnail, from the packager's latest segment: one small ffmpeg per channel at most.
    const liveThumbnails = (this.liveThumbnails = new LiveThumbnails({
      config: config.thumbnails,
      ffmpegPath: resolveFfmpegPath(config.transcoder.ffmpegPath),
      bus,
      log: log.child({ module: 'thumbnails' }),
    }));
    app.use('/vod', cors(config.http.corsOrigin), vodRoutes(recordings));
    app.use(
      '/api/channels',
      replayApiRoutes({ recordings, channelExists, messagesBetween: (...a) => chat.messages.between(...a) }),
    );
    // Signed POSTs of stream, recording and moderation events to 'webhooks' (webhooks/); attempts logged in SQLite.
    const webhooks = (this.webhooks = new Webhooks({
      endpoints: config.webhooks,
      delivery: config.webhookDelivery,
      bus,
      store: stores.webhookAttempts,
      log: log.child({ module: 'webhooks' }),
    }));
    app.use('/api/admin/webhooks', webhookAdminRoutes({ tokenHash: admin.tokenHash, attempts: stores.webhookAttempts }));
    if (analytics) app.use('/api/admin/analytics', analyticsAdminRoutes({ tokenHash: admin.tokenHash, analytics, channelExists }));
    app.use('/api/admin/recordings', recordingAdminRoutes({ tokenHash: admin.tokenHash, recordings, channelExists, ffmpegPath: resolveFfmpegPath(config.transcoder.ffmpegPath) }));
    const eventStreams = (this.eventStreams = new AddressSlots(config.http.maxEventStreamsPerAddress));
    if (cluster) {
      // The live thumbnail is made where the channel is ingested.
      app.get(
        '/api/channels/:channel/thumbnail.jpg',
        originProxy({
          self: cluster.nodeId,
          remoteOrigin,
          route: (req: Request) => ({ channel: String(req.params.channel), broadcast: undefined }),
          servesLocally: (channel) => ingest.isLive(channel),
          mode: config.cluster.hlsMode,
          timeoutMs: config.cluster.proxyTimeoutMs,
          log: log.child({ module: 'cluster' }),
        }),
      );
    }
    app.use(
      '/api/channels',
      channelRoutes({ status, onPlayer: (channel, address) => chat.addPlayer(channel, address), eventStreams, clientAddress }),
      thumbnailRoutes({
        channelExists,
        live: (name) => status.live(name),
        liveJpeg: (name) => liveThumbnails.jpeg(name),
        recordedJpeg: (name) => recordings.latestThumbnailFile(name),
        intervalMs: config.thumbnails.intervalMs,
      }),
      shareRoutes({
        config: config.shares,
        channelExists,
        clientAddress,
        count: async (channel, method) => {
          const e = { channel, method, broadcastId: broadcastOnAir(channel) };
          await stores.shares.add(channel, e.broadcastId, method);
          bus.emit('channel:shared', e);
          return e;
        },
      }),
    );
    app.use(playerRoutes({ defaultChannel: config.defaultChannel, channel: (name) => channels.get(name), frameAncestors: config.http.frameAncestors, publicUrl: config.http.publicUrl }));
    app.use(
      '/api/admin',
      adminRoutes({
        tokenHash: admin.tokenHash,
        channels,
        keys,
        profiles,
        defaultProfile: config.transcoder.defaultProfile,
        view: (name) => status.view(name),
        live: (name) => status.live(name),
        viewers: (name) => chat.viewerCount(name),
        transcodes: () => transcoder.live(),
        publishing: (name) => ingest.isLive(name),
        encoders: () => encoders.report(),
        restart: (name) => transcoder.restart(name),
        keysRevoked: () => ingest.dropRevoked(),
        moderators: moderatorTokens,
        tokenRevoked: (id) => chat.disconnectToken(id),
        profileChanged: (e) => bus.emit('channel:profile', e),
        ...(cluster && { cluster: { node: cluster.nodeId, nodes: () => cluster.nodes(), origin: remoteOrigin } }),
      }),
    );
    if (metrics) this.mountMetrics(metrics);
    app.use(notFoundHandler);
    app.use(errorHandler(log));

    metrics?.start(); // subscribed before anything can happen
    webhooks.start();
    await analytics?.start(); // closes what a crash left open, before any broadcast
    await recordings.start(); // closes what a crash left open, before any broadcast
    liveThumbnails.start();
    encoders.start();
    transcoder.start();
    broadcasts.start();
    await chat.start(http.server); // with chat.redisUrl: connects to Redis first, or fails with one line
    await cluster?.start(); // before the ingest opens: a publish for a channel live on another node is refused from the first one
    await http.start();
    await this.metricsHttp?.start();
    await ingest.start();
    tls?.start();
    return this.describe(streamKey);
  }

  /** /metrics on the main port, or on a listener of its own with 'metrics.port' (bound to 'metrics.host'). */
  private mountMetrics(metrics: Metrics) {
    const { port, host, token } = this.config.metrics;
    const names = { service: 'metrics HTTP', variable: 'LIVEROOM_METRICS_PORT', key: 'metrics.port' } as const;
    const own = port !== undefined ? (this.metricsHttp = new HttpServer({ port, host }, this.log.child({ module: 'metrics' }), undefined, names)) : undefined;
    const app = own?.app ?? this.http!.app;
    app.use('/metrics', metricsRoutes(metrics, token));
    if (own) {
      own.app.use(notFoundHandler);
      own.app.use(errorHandler(this.log));
    }
  }

  /** SIGHUP: re-reads the certificate and key now (main.ts); true when a new pair is in use. */
  reloadTls(reason = 'reload requested'): boolean {
    if (!this.tls) {
      this.log.info({ reason }, 'no TLS certificate configured (http.tls): nothing to reload');
      return false;
    }
    return this.tls.reload(reason);
  }

  async stop(): Promise<void> {
    await this.ingest?.stop(); // every publish ends (server-stopping)
    await this.broadcasts?.stop(); // each broadcast flushed: ffmpeg exited, playlists ENDLIST
    await this.cluster?.stop(); // this node's claims deleted: another node may take its channels at once
    await this.recordings?.stop(); // the last segments written and indexed
    await this.liveThumbnails?.stop(); // timers cleared, the thumbnails being made finished
    await this.webhooks?.stop(); // retries dropped; attempts in flight get a second, then are aborted
    await this.analytics?.stop(); // every broadcast has ended: anything still open is kept as interrupted
    await this.transcoder?.stop();
    this.encoders?.stop();
    this.packager?.stop();
    await this.chat?.stop();
    await this.http?.stop();
    await this.metricsHttp?.stop();
    this.metrics?.stop();
    this.tls?.stop();
    this.bus.removeAllListeners();
    const stores = this.stores;
    this.stores = undefined;
    await stores?.close();
  }

  /** The process is about to exit without a full stop (shutdown watchdog, second signal): kills ffmpeg children now. */
  abort(): void {
    this.transcoder?.kill();
    this.encoders?.stop();
  }

  /** A random key on first run only (keys an operator revoked stay revoked across restarts), returned that once. */
  private async ensureDefaultChannel(channels: ChannelStore, keys: StreamKeys): Promise<Pick<StartedInfo, 'streamKey' | 'streamKeyState'>> {
    const name = this.config.defaultChannel;
    const existing = await channels.get(name);
    let firstRun = !existing;
    if (firstRun) {
      try {
        await channels.create(name);
      } catch (err) {
        // Another node on the same database created it first (both started at once): that one made the key.
        if (!(await channels.get(name))) throw err;
        firstRun = false;
      }
    }
    if (this.config.streamKey) {
      await keys.setByLabel(name, 'default', this.config.streamKey);
      return { streamKey: undefined, streamKeyState: 'setting' };
    }
    if (firstRun) return { streamKey: (await keys.create(name, 'default')).key, streamKeyState: 'created' };
    const hasActive = async () => (await channels.listKeys(name)).some((k) => k.revokedAt === null);
    let active = await hasActive();
    // Another node on the same database may have created the channel a moment ago and be making its key now (both
    // started at once): give it a few seconds rather than report a channel without a key.
    const made = (await channels.get(name))?.createdAt ?? existing?.createdAt ?? 0;
    for (let waited = 0; !active && Date.now() - made < 10_000 && waited < 3000; waited += 100) {
      await new Promise((r) => setTimeout(r, 100));
      active = await hasActive();
    }
    return { streamKey: undefined, streamKeyState: active ? 'kept' : 'none' };
  }

  private describe(streamKey: Pick<StartedInfo, 'streamKey' | 'streamKeyState'>): StartedInfo {
    const httpPort = this.http!.port;
    const rtmpPort = this.ingest!.port;
    const rtmpsPort = this.ingest!.tlsPort;
    const tls = this.http!.secure;
    const scheme = tls ? 'https' : 'http';
    // http.publicUrl wins (a reverse proxy, a CDN); otherwise the listen address, over TLS when it is on.
    const base = this.config.http.publicUrl?.replace(/\/$/, '') ?? `${scheme}://${displayHost(this.config.http.host)}:${httpPort}`;
    const rtmpHost = new URL(base).hostname;
    const app = this.config.rtmp.app;
    const plainRtmpUrl = `rtmp://${rtmpHost}:${rtmpPort}/${app}`;
    return {
      rtmpUrl: tls ? `rtmps://${rtmpHost}:${rtmpsPort}/${app}` : plainRtmpUrl,
      plainRtmpUrl,
      ...streamKey,
      channel: this.config.defaultChannel,
      playerUrl: `${base}/watch/${this.config.defaultChannel}`,
      httpPort,
      rtmpPort,
      rtmpsPort,
      tls,
      metricsPort: this.metricsHttp?.port ?? 0,
    };
  }
}

function displayHost(host: string) {
  return host === '0.0.0.0' || host === '::' ? 'localhost' : host;
}
