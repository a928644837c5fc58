import { z } from 'zod';
import { NAME_PATTERN, NAME_RULE } from './names';
import { parseProxyEntry, PROXY_ENTRY_RULE } from './client-address';

/**
 * The one configuration schema. Every key has a default so the server runs with
 * no configuration at all; unknown keys are rejected so a typo is an error, not a
 * silently ignored setting. Each module receives only its slice.
 */
const port = z.number().int().min(0).max(65535);
const host = z.string().min(1);

export const rtmpSchema = z
  .object({
    /** RTMP listen port; 0 picks a free port (tests). */
    port: port.default(1935),
    /** RTMPS (RTMP over TLS) listen port, opened only when 'http.tls' is set (same certificate); 0 picks a free port (tests). */
    tlsPort: port.default(1936),
    host: host.default('0.0.0.0'),
    /** The RTMP application name: OBS publishes to rtmp://HOST:PORT/<app>/<streamKey>. */
    app: z.string().regex(/^[a-zA-Z0-9_-]+$/, 'letters, digits, _ and - only').default('live'),
    /** A connection that has not started publishing by then is dropped (broken handshakes, idle sockets). */
    handshakeTimeoutMs: z.number().int().min(100).max(120_000).default(10_000),
    /** Open RTMP connections in all; at the cap a new one evicts the oldest connection that has not been admitted yet. */
    maxConnections: z.number().int().min(1).max(100_000).default(256),
    /** Open RTMP connections per client address; more are closed at once (NATs share addresses). */
    maxConnectionsPerAddress: z.number().int().min(1).max(100_000).default(8),
    /** Bytes a connection may send before a publish is admitted (handshake and commands take about 4 KiB); past it, closed. */
    preAuthMaxBytes: z.number().int().min(4096).max(16_777_216).default(16_384),
    /** Largest RTMP message a connection may declare before a publish is admitted (commands are a few hundred bytes). */
    preAuthMaxMessageBytes: z.number().int().min(512).max(1_048_576).default(4096),
    /** Largest audio/video RTMP message of an admitted publisher (one video frame); commands and metadata stay under 64 KiB. */
    maxMessageBytes: z.number().int().min(65_536).max(16_777_215).default(4_194_304),
    /** Failed attempts per address (unknown key, protocol violation, timeout) before it is backed off. */
    authFailuresBeforeBackoff: z.number().int().min(1).max(10_000).default(5),
    /** First backoff; it doubles with each further failure. A backed-off address is closed as soon as it connects. */
    authBackoffMs: z.number().int().min(10).max(3_600_000).default(1000),
    /** Longest backoff; an address with no failure for this long starts over. */
    authBackoffMaxMs: z.number().int().min(10).max(86_400_000).default(60_000),
    /** Refused connections are logged at most once per address per interval, with counts. */
    refusalLogIntervalMs: z.number().int().min(100).max(3_600_000).default(10_000),
    /** A publisher that sends no audio or video for this long is disconnected (frozen encoder, dead network path). */
    mediaTimeoutMs: z.number().int().min(500).max(600_000).default(5000),
    /** A valid-key publish takes over a live channel whose publisher has sent no media for this long (OBS reconnecting). */
    takeoverAfterMs: z.number().int().min(100).max(600_000).default(1500),
    /** TCP keepalive on admitted publishers: first probe after this much idle time. */
    keepAliveMs: z.number().int().min(1000).max(7_200_000).default(5000),
  })
  .strict()
  .superRefine((rtmp, ctx) => {
    if (rtmp.takeoverAfterMs >= rtmp.mediaTimeoutMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['takeoverAfterMs'],
        message: `'rtmp.takeoverAfterMs' (${rtmp.takeoverAfterMs}) must be below 'rtmp.mediaTimeoutMs' (${rtmp.mediaTimeoutMs})`,
      });
    }
    if (rtmp.authBackoffMs > rtmp.authBackoffMaxMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['authBackoffMs'],
        message: `'rtmp.authBackoffMs' (${rtmp.authBackoffMs}) must not exceed 'rtmp.authBackoffMaxMs' (${rtmp.authBackoffMaxMs})`,
      });
    }
    if (rtmp.maxConnectionsPerAddress > rtmp.maxConnections) {
      ctx.addIssue({
        code: 'custom',
        path: ['maxConnectionsPerAddress'],
        message: `'rtmp.maxConnectionsPerAddress' (${rtmp.maxConnectionsPerAddress}) must not exceed 'rtmp.maxConnections' (${rtmp.maxConnections})`,
      });
    }
  });

export const tlsSchema = z
  .object({
    /** PEM certificate file (the full chain: certbot's fullchain.pem). Re-read on SIGHUP and when it changes. */
    cert: z.string().min(1).optional(),
    /** PEM private key file of that certificate (certbot's privkey.pem). */
    key: z.string().min(1).optional(),
    /** How often the two files are checked for a renewal (a stat each; no restart needed). */
    checkIntervalMs: z.number().int().min(100).max(86_400_000).default(60_000),
  })
  .strict()
  .superRefine((tls, ctx) => {
    if ((tls.cert === undefined) !== (tls.key === undefined)) {
      const [set, missing] = tls.cert !== undefined ? ['cert', 'key'] : ['key', 'cert'];
      ctx.addIssue({
        code: 'custom',
        path: [missing],
        message: `'http.tls.${set}' is set but 'http.tls.${missing}' is not: give both the certificate and its key (or neither, for plain HTTP)`,
      });
    }
  });

export const httpSchema = z
  .object({
    /** Serves HTTPS (and the chat over WSS) when 'http.tls.cert' and 'http.tls.key' are set; RTMPS opens on 'rtmp.tlsPort'. */
    tls: tlsSchema.default(tlsSchema.parse({})),
    port: port.default(8000),
    host: host.default('0.0.0.0'),
    /** The URL printed for viewers and OBS; derived from the listen address when unset. */
    publicUrl: z.string().url().optional(),
    /** Access-Control-Allow-Origin for /hls and the public API, so the stream can be embedded elsewhere. */
    corsOrigin: z.string().min(1).default('*'),
    /**
     * Reverse proxies whose X-Forwarded-For is believed: addresses or CIDR ranges (IPv4 and IPv6), e.g. ["127.0.0.1"]
     * for nginx on the same host. The client address is the first X-Forwarded-For entry from the right that is not one of
     * them, and only when the connection itself comes from one. Empty: the header is never read (direct exposure).
     * Used for every per-address limit, chat bans and viewer counts. Replaces the former 'chat.trustProxy'.
     */
    trustedProxies: z
      .array(z.string().refine((e) => parseProxyEntry(e) !== undefined, PROXY_ENTRY_RULE))
      .max(1000)
      .default([]),
    /**
     * Blocking requests (_HLS_msn playlist reloads, preload-hint parts) one address may have held open at once; past it,
     * 429 with Retry-After. A player holds one to three per rendition. Everyone behind one NAT or proxy shares the cap.
     */
    maxHeldRequestsPerAddress: z.number().int().min(1).max(100_000).default(32),
    /** Open status event streams (/api/channels/<c>/events) per address; past it, 429 with Retry-After. A watch page opens one. */
    maxEventStreamsPerAddress: z.number().int().min(1).max(100_000).default(4),
    /**
     * Who may embed the pages in a frame: the Content-Security-Policy frame-ancestors sources, space-separated, e.g.
     * "'self'" or "'self' https://blog.example". The default '*' lets any site embed the player.
     */
    frameAncestors: z
      .string()
      .trim()
      .regex(/^[^;,\r\n]+$/, "CSP sources separated by spaces, such as '*', \"'self'\" or \"'self' https://blog.example\"")
      .default('*'),
    /**
     * Origins (scheme://host[:port]) whose pages may open a chat connection, besides the server's own (the request's Host)
     * and 'http.publicUrl'; ["*"] allows any. Connections without an Origin header (not from a browser) are let in.
     */
    allowedOrigins: z
      .array(z.string().refine((o) => o === '*' || (URL.canParse(o) && new URL(o).origin === o), 'an origin such as https://example.com (no path, no trailing slash), or *'))
      .max(1000)
      .default([]),
  })
  .strict();

export const hlsSchema = z
  .object({
    /** LL-HLS part target in seconds (EXT-X-PART-INF:PART-TARGET). */
    partTarget: z.number().min(0.1).max(2).default(0.2),
    /** Minimum segment duration in seconds; segments are cut on the first keyframe after it. */
    segmentTarget: z.number().min(0.5).max(10).default(1),
    /** Completed segments kept in the in-memory live window. */
    windowSegments: z.number().int().min(3).max(600).default(12),
    /** How long a blocking playlist or preload-hint request may wait, in target durations. */
    blockingTimeoutTargets: z.number().min(1).max(10).default(3),
    /**
     * A publisher that drops and publishes again within this continues the same broadcast: the same
     * media playlists go on after EXT-X-DISCONTINUITY, with no ENDLIST, so every player resumes by
     * itself. Past it the playlists end; the next publish gets new media URIs. 0 ends at once.
     */
    reconnectGraceMs: z.number().int().min(0).max(600_000).default(15_000),
  })
  .strict()
  .superRefine((hls, ctx) => {
    if (hls.partTarget >= hls.segmentTarget) {
      ctx.addIssue({
        code: 'custom',
        path: ['partTarget'],
        message: `'hls.partTarget' (${hls.partTarget}) must be below 'hls.segmentTarget' (${hls.segmentTarget})`,
      });
    }
  });

export const transcoderSchema = z
  .object({
    /** ffmpeg binary; defaults to FFMPEG_PATH, then the binary shipped by @ffmpeg-installer/ffmpeg. */
    ffmpegPath: z.string().min(1).optional(),
    /** Built-in or stored profile used by channels that have none assigned. */
    defaultProfile: z.string().min(1).default('default'),
    /** Where ffmpeg runs' output sockets go (one folder per server run, removed at the next start if the server crashed); the OS temp folder when unset. */
    tempDir: z.string().min(1).optional(),
    /** Restarts allowed per channel per minute when ffmpeg dies (or fails to start) while a publisher is live; counted across reconnects. */
    maxRestartsPerMinute: z.number().int().min(0).max(60).default(5),
    /** FLV bytes that may wait for ffmpeg; past it (ffmpeg slower than real time) frames are dropped up to the next keyframe. */
    inputBufferBytes: z.number().int().min(65_536).max(1 << 30).default(4 << 20),
    /** Grace between SIGTERM and SIGKILL when stopping ffmpeg. */
    killTimeoutMs: z.number().int().min(100).max(30_000).default(2000),
    /** Render node for VAAPI and QSV encoders (probed at start; unused without such hardware). */
    hwDevice: z.string().min(1).default('/dev/dri/renderD128'),
    /** Longest a one-second encoder test encode may take at start before the encoder counts as not working. */
    probeTimeoutMs: z.number().int().min(1000).max(120_000).default(15_000),
  })
  .strict();

export const chatSchema = z
  .object({
    /** Messages a newcomer receives on joining (the most recent ones). */
    historyCount: z.number().int().min(0).max(500).default(50),
    /** Longest chat message, in characters. */
    maxMessageLength: z.number().int().min(1).max(2000).default(300),
    /** Longest bullet comment (danmaku), in characters; at most 'chat.maxMessageLength'. */
    maxDanmakuLength: z.number().int().min(1).max(2000).default(60),
    /** Per-connection message token bucket: burst size and refill rate. */
    messageBurst: z.number().int().min(1).max(1000).default(5),
    messagesPerSecond: z.number().min(0.01).max(1000).default(1),
    /** Per-connection bucket for every packet (likes, renames, moderation); excess is dropped. */
    packetBurst: z.number().int().min(1).max(10_000).default(40),
    packetsPerSecond: z.number().min(0.1).max(10_000).default(20),
    /** Per-connection like taps: burst and refill; excess taps are dropped silently. */
    likeBurst: z.number().int().min(1).max(10_000).default(30),
    likesPerSecond: z.number().min(0.1).max(10_000).default(10),
    /** How often aggregated likes are broadcast (only when there were new ones). */
    likeBroadcastMs: z.number().int().min(50).max(10_000).default(250),
    /** Connections that ask for batches (auth.batch) get the room's messages at most this often, in one packet. */
    messageBatchMs: z.number().int().min(10).max(2000).default(100),
    /**
     * Batch packets a room may cost per second on this node: past `roomPacketsPerSecond / (1000 / messageBatchMs)` batch
     * connections in a room, its batch interval grows with them (fewer, bigger packets each), up to `messageBatchMaxMs`.
     * A busy room's cost is per packet and per connection (a socket write each), not per message.
     */
    roomPacketsPerSecond: z.number().int().min(100).max(100_000_000).default(50_000),
    messageBatchMaxMs: z.number().int().min(10).max(2000).default(250),
    /**
     * A room's batch connections are split into this many groups, flushed in turn (one every interval / batchShards):
     * each flush walks a group's sockets instead of the whole room, so the last socket of a large room's walk does not
     * get every message a walk late. The writes are as many. 1: the whole room at once.
     */
    batchShards: z.number().int().min(1).max(64).default(8),
    /** How often viewer counts are broadcast (only when they changed). */
    viewerCountMs: z.number().int().min(100).max(120_000).default(5000),
    /** Slow-mode interval for channels whose moderators have not set one; 0 = off. */
    slowModeSeconds: z.number().int().min(0).max(86_400).default(0),
    /** Words and phrases refused in every channel (case-insensitive, whole words; a trailing * matches word endings). */
    blockedWords: z.array(z.string().trim().min(1).max(64)).max(5000).default([]),
    /** Largest Socket.IO packet accepted; bigger ones close that connection (engine.io maxHttpBufferSize). */
    maxPacketBytes: z.number().int().min(1024).max(1_048_576).default(16_384),
    /** New chat connections per address: burst and refill (NATs share addresses; benchmarks raise these). */
    connectBurst: z.number().int().min(1).max(1_000_000).default(60),
    connectsPerSecond: z.number().min(0.01).max(1_000_000).default(5),
    /**
     * Open chat connections per address (every tab, overlay and script); past it the connection is refused with
     * LR_CHAT_TOO_MANY_SOCKETS. Loopback and private addresses count too, so viewers behind one NAT, or behind a proxy
     * not listed in 'http.trustedProxies', share it: raise it for a venue or school on one address.
     */
    maxSocketsPerAddress: z.number().int().min(1).max(1_000_000).default(20),
    /**
     * Messages per address across all its connections and identities: burst and refill, on top of the per-connection
     * bucket. Viewers behind one NAT share it (a classroom on one address gets this rate in all); raise it for them.
     * Moderators and the streamer are not counted against it.
     */
    messageBurstPerAddress: z.number().int().min(1).max(100_000).default(20),
    messagesPerSecondPerAddress: z.number().min(0.01).max(100_000).default(5),
    /**
     * Days chat messages, moderation log entries, viewers' last addresses and ended sanctions are kept; older ones are
     * deleted at start and daily. Standing bans stay. 0 keeps everything.
     */
    retentionDays: z.number().int().min(0).max(36_500).default(30),
    /**
     * On PostgreSQL ('databaseUrl'), how long a channel's moderation state (timeouts, slow mode, blocked words) is
     * served from memory between store reads; every moderation action drops it at once on its node, and on the others
     * through Redis ('chat.redisUrl'). This bounds how late an action reaches a node that missed that (no Redis, or
     * Redis away). 0: every message reads the store. SQLite always reads the store.
     */
    moderationCacheMs: z.number().int().min(0).max(60_000).default(2000),
    /**
     * Several server nodes: redis://[user:password@]host:port[/db] (or rediss://). The chat then runs through
     * the Socket.IO Redis streams adapter, sharing rooms, counts and moderation. The nodes share one data folder, or,
     * with 'cluster.nodeUrl', run on separate hosts. Unset: one node, no Redis.
     */
    redisUrl: z
      .string()
      .regex(/^rediss?:\/\/[^\s]+$/, 'a redis:// or rediss:// URL')
      .refine((u) => URL.canParse(u), 'a redis:// or rediss:// URL')
      .optional(),
  })
  .strict()
  .superRefine((chat, ctx) => {
    if (chat.maxDanmakuLength > chat.maxMessageLength) {
      ctx.addIssue({
        code: 'custom',
        path: ['maxDanmakuLength'],
        message: `'chat.maxDanmakuLength' (${chat.maxDanmakuLength}) must not exceed 'chat.maxMessageLength' (${chat.maxMessageLength})`,
      });
    }
    // A message of maxMessageLength 4-byte characters must fit in one packet, with room for the envelope.
    if (chat.maxPacketBytes < chat.maxMessageLength * 4 + 512) {
      ctx.addIssue({
        code: 'custom',
        path: ['maxPacketBytes'],
        message: `'chat.maxPacketBytes' (${chat.maxPacketBytes}) must be at least 4 × 'chat.maxMessageLength' + 512 (${chat.maxMessageLength * 4 + 512})`,
      });
    }
  });

export const recordingsSchema = z
  .object({
    /** Every broadcast is recorded (channels can override it: `liveroom recordings settings`). */
    enabled: z.boolean().default(true),
    /** Which renditions: 'top' (the first of the profile's ladder: the source in every built-in profile) or 'all'. */
    renditions: z.enum(['top', 'all']).default('top'),
    /** Where recordings go; '<dataDir>/recordings' when unset (a bigger disk, say). */
    dir: z.string().min(1).optional(),
    /** Recordings older than this many days are deleted (at start, hourly and after each broadcast); 0 keeps them. */
    maxAgeDays: z.number().int().min(0).max(36_500).default(0),
    /** Per channel, the oldest recordings are deleted while its recordings take more than this many MiB; 0: no cap. */
    maxSizeMbPerChannel: z.number().min(0).max(1 << 30).default(0),
  })
  .strict();

export const metricsSchema = z
  .object({
    /** Prometheus metrics at GET /metrics (text format). */
    enabled: z.boolean().default(true),
    /** When set, a scrape needs 'Authorization: Bearer <token>' (Prometheus: authorization.credentials); otherwise 401. */
    token: z.string().regex(/^[\x21-\x7e]{16,256}$/, '16 to 256 printable characters, no spaces').optional(),
    /** A listener of its own for /metrics (kept off the public port); unset: /metrics is served on 'http.port'. 0 picks a free port (tests). */
    port: port.optional(),
    /** Where that listener binds; only with 'metrics.port'. */
    host: host.default('127.0.0.1'),
  })
  .strict();

export const analyticsSchema = z
  .object({
    /** Engagement figures per broadcast (viewers over time, unique viewers, watch time, chat, likes, shares), in SQLite. */
    enabled: z.boolean().default(true),
    /** A viewers sample every this many ms while a broadcast is on air (HLS viewers and chat viewers). */
    sampleIntervalMs: z.number().int().min(100).max(600_000).default(10_000),
  })
  .strict();

export const webhookSchema = z
  .object({
    /** Receives a POST per event: JSON { id, type, createdAt, data }, signed with 'secret' (X-Liveroom-Signature). */
    url: z.string().url().refine((u) => /^https?:$/.test(new URL(u).protocol), 'an http:// or https:// URL'),
    /** HMAC-SHA256 key of the signature; the receiver keeps the same. */
    secret: z.string().min(16, 'at least 16 characters'),
    /** Which events it receives; all of them when unset. */
    events: z.array(z.enum(['stream.started', 'stream.ended', 'recording.ready', 'chat.moderation'])).min(1).optional(),
  })
  .strict();

export const webhookDeliverySchema = z
  .object({
    /** Longest one attempt may take (connect, send, answer). */
    timeoutMs: z.number().int().min(100).max(60_000).default(5000),
    /** Attempts per event and endpoint, the first included; a 2xx ends them. */
    maxAttempts: z.number().int().min(1).max(20).default(5),
    /** Wait before the first retry; it doubles each time (1 s, 2 s, 4 s…). */
    retryBaseMs: z.number().int().min(10).max(3_600_000).default(1000),
    /** Attempts kept in the delivery log (the oldest are deleted past it). */
    logRetention: z.number().int().min(10).max(1_000_000).default(1000),
  })
  .strict();

export const thumbnailsSchema = z
  .object({
    /** A live channel's thumbnail (GET /api/channels/<c>/thumbnail.jpg) is remade this often from its latest segment. */
    intervalMs: z.number().int().min(1000).max(3_600_000).default(5000),
    /** Pixels wide; the height keeps the picture's aspect ratio. */
    width: z.number().int().min(64).max(1920).default(640),
  })
  .strict();

export const sharesSchema = z
  .object({
    /** Share events (POST /api/channels/<c>/shares) one address may send at once… */
    burstPerAddress: z.number().int().min(1).max(10_000).default(10),
    /** …and per minute after that; more answer 429 and are not counted. */
    perMinutePerAddress: z.number().min(0.1).max(100_000).default(10),
  })
  .strict();

export const clusterSchema = z
  .object({
    /**
     * Nodes on separate hosts: this node's own base URL as the other nodes reach it (http://10.0.0.5:8000), with
     * 'chat.redisUrl' set on every node. The node then claims the channels it ingests in Redis (one origin per
     * channel across the nodes) and answers HLS for channels ingested elsewhere by proxying to their origin.
     */
    nodeUrl: z
      .string()
      .regex(/^https?:\/\/[^\s]+$/, 'an http:// or https:// URL')
      .refine((u) => URL.canParse(u), 'an http:// or https:// URL')
      .optional(),
    /** This node's name in the registry, logs and `liveroom status`; the host:port of 'cluster.nodeUrl' when unset. */
    nodeId: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, '1 to 64 letters, digits, . _ : or -').optional(),
    /** A node's claim on a channel lives this long without a heartbeat (renewed every third of it): a dead node's channels free up after it. */
    originTtlMs: z.number().int().min(1000).max(60_000).default(5000),
    /** HLS for a channel ingested on another node: 'proxy' (fetched from its origin and streamed back) or 'redirect' (302 to its origin's public URL). */
    hlsMode: z.enum(['proxy', 'redirect']).default('proxy'),
    /** A proxied HLS request gives up when its origin sends nothing for this long (504); must outlast a blocking reload. */
    proxyTimeoutMs: z.number().int().min(1000).max(120_000).default(15_000),
  })
  .strict();

export const configSchema = z
  .object({
    /** Where SQLite, the admin token and recordings live. */
    dataDir: z.string().min(1).default('./data'),
    /**
     * The shared store: postgres://[user:password@]host[:port]/database (or postgresql://). Every store (channels and
     * keys, profiles, chat, moderation, likes, recordings index, shares, webhook attempts, analytics) is then in
     * PostgreSQL, so several nodes share them (with 'chat.redisUrl' for the chat). Unset: SQLite in 'dataDir'.
     * The admin token and recording files stay in 'dataDir'. The password is never logged.
     */
    databaseUrl: z
      .string()
      .regex(/^postgres(ql)?:\/\/[^\s]+$/, 'a postgres:// or postgresql:// URL')
      .refine((u) => URL.canParse(u), 'a postgres:// or postgresql:// URL')
      .optional(),
    /** Public name of the channel created on first start. */
    defaultChannel: z.string().regex(NAME_PATTERN, NAME_RULE).default('live'),
    /** Sets the default channel's stream key (scripted setups); a random key is generated otherwise. */
    streamKey: z.string().regex(/^[A-Za-z0-9_-]{8,128}$/, '8 to 128 letters, digits, _ or -').optional(),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** On SIGTERM/SIGINT: longest the orderly stop (publishes ended, playlists ENDLIST, database closed) may take before the process exits anyway. */
    shutdownTimeoutMs: z.number().int().min(500).max(600_000).default(10_000),
    rtmp: rtmpSchema.default(rtmpSchema.parse({})),
    http: httpSchema.default(httpSchema.parse({})),
    hls: hlsSchema.default(hlsSchema.parse({})),
    transcoder: transcoderSchema.default(transcoderSchema.parse({})),
    chat: chatSchema.default(chatSchema.parse({})),
    recordings: recordingsSchema.default(recordingsSchema.parse({})),
    metrics: metricsSchema.default(metricsSchema.parse({})),
    analytics: analyticsSchema.default(analyticsSchema.parse({})),
    thumbnails: thumbnailsSchema.default(thumbnailsSchema.parse({})),
    shares: sharesSchema.default(sharesSchema.parse({})),
    /** Endpoints told of stream, recording and moderation events (see README, Webhooks). */
    webhooks: z.array(webhookSchema).max(100).default([]),
    webhookDelivery: webhookDeliverySchema.default(webhookDeliverySchema.parse({})),
    cluster: clusterSchema.default(clusterSchema.parse({})),
  })
  .strict()
  .superRefine((config, ctx) => {
    const { rtmp, http, cluster, hls, chat } = config;
    if (cluster.nodeUrl !== undefined && chat.redisUrl === undefined) {
      ctx.addIssue({ code: 'custom', path: ['cluster', 'nodeUrl'], message: "'cluster.nodeUrl' needs 'chat.redisUrl': the nodes find each other's channels in Redis" });
    }
    // A blocking reload waits up to blockingTimeoutTargets target durations; a target duration can reach twice segmentTarget (late keyframes).
    // Only a cluster node proxies, so only one needs its proxy timeout to outlast that.
    const longestHold = hls.blockingTimeoutTargets * hls.segmentTarget * 2000;
    if (cluster.nodeUrl !== undefined && cluster.proxyTimeoutMs <= longestHold) {
      ctx.addIssue({
        code: 'custom',
        path: ['cluster', 'proxyTimeoutMs'],
        message: `'cluster.proxyTimeoutMs' (${cluster.proxyTimeoutMs}) must exceed the longest blocking reload, 'hls.blockingTimeoutTargets' × 'hls.segmentTarget' × 2 s (${longestHold})`,
      });
    }
    if (http.tls.cert === undefined || rtmp.tlsPort === 0) return;
    for (const [key, used] of [['rtmp.port', rtmp.port], ['http.port', http.port]] as const) {
      if (used === rtmp.tlsPort) {
        ctx.addIssue({ code: 'custom', path: ['rtmp', 'tlsPort'], message: `'rtmp.tlsPort' (${rtmp.tlsPort}) must differ from '${key}' (${used}): RTMPS has its own port` });
      }
    }
  });

export type LiveroomConfig = z.infer<typeof configSchema>;
export type RtmpConfig = LiveroomConfig['rtmp'];
export type HttpConfig = LiveroomConfig['http'];
export type TlsConfig = HttpConfig['tls'];
export type HlsConfig = LiveroomConfig['hls'];
export type TranscoderConfig = LiveroomConfig['transcoder'];
export type ChatConfig = LiveroomConfig['chat'];
export type RecordingsConfig = LiveroomConfig['recordings'];
export type MetricsConfig = LiveroomConfig['metrics'];
export type AnalyticsConfig = LiveroomConfig['analytics'];
export type ThumbnailsConfig = LiveroomConfig['thumbnails'];
export type SharesConfig = LiveroomConfig['shares'];
export type WebhookConfig = LiveroomConfig['webhooks'][number];
export type WebhookEventType = NonNullable<WebhookConfig['events']>[number];
export type WebhookDeliveryConfig = LiveroomConfig['webhookDelivery'];
export type ClusterConfig = LiveroomConfig['cluster'];

/** What a caller may pass: every key optional, nested objects partial. */
export type LiveroomConfigInput = z.input<typeof configSchema>;
