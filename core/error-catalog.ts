/**
 * Every error code the server side raises, in one table (fastify's
 * lib/errors.js): the stable code, the HTTP status it answers with, and the
 * message template, a function of typed parameters that says what to do.
 * Raise one with `fail(code, params)` from ./errors; the compiler checks the
 * code and the parameters, and the status is only written here.
 *
 * `help` is the operator's line in the README's "Troubleshooting / error
 * codes" table (`npm run error-codes` prints that table; a test keeps the
 * README equal to it). The chat's codes are the chat protocol's own, in
 * chat/chat-events.ts, with the same `{ code, message }` shape on the wire.
 *
 * Pure data: imports only the name rules its messages quote.
 */
import { DESCRIPTION_MAX_LENGTH, KEY_LABEL_RULE, NAME_RULE, OFFLINE_MESSAGE_MAX_LENGTH, TITLE_MAX_LENGTH } from './names';

interface ErrorSpec {
  /** The HTTP status when it answers a request (start-up errors never do, and keep 500). */
  status: number;
  /** Raised only while the server starts: it stops the start with one line. */
  startup?: true;
  /** Answered with a Retry-After header of this many seconds (429s). */
  retryAfterSeconds?: number;
  message: (...params: never[]) => string;
  help: string;
}

type Service = 'HTTP' | 'RTMP' | 'RTMPS' | 'metrics HTTP';
const quoteList = (names: readonly string[]) => names.map((n) => `'${n}'`).join(', ');

export const ERROR_CATALOG = {
  // Configuration and the data folder: the server refuses to start.
  LR_CONFIG_INVALID: {
    status: 500,
    startup: true,
    message: (p: { problem: string }) => `invalid configuration: ${p.problem}`,
    help: 'A setting (config file, LIVEROOM_* variable) is wrong; the message names the key. Fix it and start again.',
  },
  LR_CONFIG_ENV_NOT_NUMBER: {
    status: 500,
    startup: true,
    message: (p: { variable: string; raw: string; key: string }) => `${p.variable}=${JSON.stringify(p.raw)} is not a number (sets '${p.key}')`,
    help: 'An environment variable that sets a number holds something else. Fix or unset it.',
  },
  LR_CONFIG_FILE_UNREADABLE: {
    status: 500,
    startup: true,
    message: (p: { file: string; reason: string }) => `cannot read config file ${p.file}: ${p.reason}`,
    help: 'The config file (LIVEROOM_CONFIG) is missing or not readable by the server user.',
  },
  LR_CONFIG_FILE_NOT_JSON: {
    status: 500,
    startup: true,
    message: (p: { file: string; reason: string }) => `config file ${p.file} is not valid JSON: ${p.reason}`,
    help: 'The config file is not JSON; the message gives the parser\'s position.',
  },
  LR_DATA_DIR: {
    status: 500,
    startup: true,
    message: (p: { action: string; reason: string }) => `cannot ${p.action}: ${p.reason}`,
    help: "The data folder ('dataDir', LIVEROOM_DATA_DIR) cannot be created or written: fix its path or permissions.",
  },

  LR_DATABASE_UNAVAILABLE: {
    status: 500,
    startup: true,
    message: (p: { url: string; reason: string }) =>
      `cannot use the PostgreSQL database at ${p.url} (LIVEROOM_DATABASE_URL / databaseUrl): ${p.reason}; start PostgreSQL and check the URL, or unset LIVEROOM_DATABASE_URL to use SQLite in the data folder`,
    help: 'PostgreSQL is configured (databaseUrl) but cannot be reached or migrated at start: check the server, the URL and the role\'s rights, or unset it for SQLite.',
  },

  // The process's listeners.
  LR_PORT_IN_USE: {
    status: 500,
    startup: true,
    message: (p: { service: Service; port: number; variable: string; key: string }) =>
      `${p.service} port ${p.port} is already in use: stop the other process or set ${p.variable} (${p.key})`,
    help: 'Another process holds the HTTP or RTMP port: stop it or choose another port.',
  },
  LR_TLS_CERT: {
    status: 500,
    startup: true,
    message: (p: { cert: string; key: string; reason: string }) =>
      `cannot use the TLS certificate ${p.cert} with the key ${p.key}: ${p.reason}. Check 'http.tls.cert' and 'http.tls.key' (LIVEROOM_TLS_CERT, LIVEROOM_TLS_KEY): PEM files readable by the server user, the key belonging to the certificate`,
    help: "The TLS certificate or key ('http.tls.cert', 'http.tls.key') is missing, unreadable, not PEM, or the key is not the certificate's. A renewal that fails the same way is logged and the old certificate kept.",
  },
  LR_LISTEN_FAILED: {
    status: 500,
    startup: true,
    message: (p: { service: Service; host: string; port: number; reason: string }) => `${p.service} cannot listen on ${p.host}:${p.port}: ${p.reason}`,
    help: 'The HTTP or RTMP listener could not open (address not on this machine, port below 1024 without rights).',
  },

  // HTTP in general.
  LR_BAD_REQUEST: {
    status: 400,
    message: (p: { problem: string }) => p.problem,
    help: 'The request is malformed (body not JSON, too large, a field of the wrong type); the message says which. Answers 400, or the 4xx the body parser chose (413 for a body over 64 kB).',
  },
  LR_NOT_FOUND: {
    status: 404,
    message: (p: { method: string; path: string }) => `nothing at ${p.method} ${p.path}`,
    help: 'No route at that method and path: check the URL.',
  },
  LR_INTERNAL: {
    status: 500,
    message: () => 'internal error; see the server log',
    help: 'A bug or an unexpected failure: the server log has the details.',
  },
  LR_PLAYER_NOT_BUILT: {
    status: 500,
    message: () => 'the player is not built: run `npm run build`',
    help: 'The player bundle is missing from dist/: run `npm run build`.',
  },

  // LL-HLS delivery (server/hls-routes.ts).
  LR_HLS_NOT_LIVE: {
    status: 404,
    message: (p: { channel: string }) => `channel '${p.channel}' has not gone live yet`,
    help: 'The channel has no multivariant playlist yet: start publishing, then reload the player.',
  },
  LR_HLS_ORIGIN_UNREACHABLE: {
    status: 502,
    message: (p: { channel: string; node: string; reason: string }) => `channel '${p.channel}' is live on node '${p.node}', which this node cannot reach: ${p.reason}`,
    help: "Another node ingests the channel and this one proxies its HLS ('cluster.nodeUrl'): check that node is up and that its 'cluster.nodeUrl' is reachable from here. A dead node's claim expires after 'cluster.originTtlMs'.",
  },
  LR_HLS_ORIGIN_TIMEOUT: {
    status: 504,
    message: (p: { channel: string; node: string; timeoutMs: number }) => `channel '${p.channel}': its origin node '${p.node}' sent nothing for ${p.timeoutMs} ms`,
    help: "The node that ingests the channel did not answer a proxied HLS request within 'cluster.proxyTimeoutMs': check that node's load and the network between the nodes.",
  },
  LR_HLS_NO_RENDITION: {
    status: 404,
    message: (p: { channel: string; rendition: string }) => `no rendition '${p.rendition}' on channel '${p.channel}'`,
    help: "The rendition is not (or not yet) part of the channel's ladder: take the names from master.m3u8.",
  },
  LR_HLS_NO_BROADCAST: {
    status: 404,
    message: (p: { channel: string; broadcast: string }) => `channel '${p.channel}' has no broadcast '${p.broadcast}' (it is over, or older than the last one)`,
    help: 'Media URIs name their broadcast; a new publish after the reconnect grace starts a new one: reload master.m3u8.',
  },
  LR_HLS_NOT_FOUND: {
    status: 404,
    message: (p: { file: string; known: boolean }) => (p.known ? `${p.file} is not (or no longer) available` : `no such file ${p.file}`),
    help: 'The media file name is not one the packager writes, or the file has left the playlist window: reload the playlist.',
  },
  LR_HLS_GONE: {
    status: 404,
    message: () => 'this media belongs to an earlier server run; reload the playlist',
    help: 'The URL is from before a server restart: reload the playlist.',
  },
  LR_HLS_BAD_QUERY: {
    status: 400,
    message: (p: { param: string; expected: string }) => `${p.param} must be ${p.expected}`,
    help: '_HLS_msn/_HLS_part must be non-negative integers, _HLS_skip YES or v2.',
  },
  LR_HLS_PART_WITHOUT_MSN: {
    status: 400,
    message: () => '_HLS_part requires _HLS_msn',
    help: 'A blocking playlist request gave _HLS_part without _HLS_msn: send both.',
  },
  LR_HLS_MSN_TOO_FAR: {
    status: 400,
    message: (p: { msn: number; last: number }) => `_HLS_msn=${p.msn} is more than two segments past the last one (${p.last})`,
    help: 'A blocking request asked for a segment more than two ahead of the live edge: the player\'s clock or playlist is off.',
  },
  LR_HLS_TIMEOUT: {
    status: 503,
    message: (p: { what: string }) => `${p.what} did not arrive in time`,
    help: 'A blocking request waited longer than hls.blockingTimeoutTargets target durations: the publisher or transcoder is stalled; the player retries.',
  },

  // Per-address HTTP limits (core/client-address.ts decides who the address is).
  LR_HTTP_TOO_MANY_HELD: {
    status: 429,
    retryAfterSeconds: 1,
    message: (p: { max: number }) =>
      `too many blocking requests held open from your address (at most ${p.max}, 'http.maxHeldRequestsPerAddress'); retry after a second`,
    help: "One address has more blocking playlist or preload-hint requests waiting than 'http.maxHeldRequestsPerAddress' (a player holds one to three per rendition). Raise it for many viewers behind one NAT; behind a reverse proxy, list it in 'http.trustedProxies'.",
  },
  LR_HTTP_TOO_MANY_EVENT_STREAMS: {
    status: 429,
    retryAfterSeconds: 5,
    message: (p: { max: number }) => `too many status event streams open from your address (at most ${p.max}, 'http.maxEventStreamsPerAddress'); close a tab and retry`,
    help: "One address has more /api/channels/<c>/events streams open than 'http.maxEventStreamsPerAddress' (a watch page opens one). Raise it for many viewers behind one NAT; behind a reverse proxy, list it in 'http.trustedProxies'.",
  },

  // RTMP ingest.
  LR_INGEST_PUBLISH_GONE: {
    status: 500,
    message: (p: { channel: string }) => `channel '${p.channel}' is no longer live`,
    help: 'Internal, never answered: the publisher left while its transcoder was starting; that transcoder does not start.',
  },
  LR_INGEST_STORE_UNAVAILABLE: {
    status: 503,
    message: (p: { reason: string }) => `publish refused: the stream key could not be checked, the database did not answer (${p.reason})`,
    help: "Logged (an error line when stream-key lookups start failing, then each refusal once per address per 'rtmp.refusalLogIntervalMs'), never answered: the store (PostgreSQL, 'databaseUrl') failed or did not answer a publish's stream-key lookup within 'rtmp.handshakeTimeoutMs'. The encoder is told NetStream.Failed and retries; this is not counted as a failed attempt of its address, so it publishes as soon as the database is back. Check PostgreSQL.",
  },
  LR_INGEST_NMS_UNSUPPORTED: {
    status: 500,
    startup: true,
    message: (p: { missing: string }) => `node-media-server's RTMP parser changed (no ${p.missing}): ingest/nms-bridge.ts supports 4.4.x; install that version`,
    help: 'The installed node-media-server is not the 4.4.x whose parser the ingest hardens: install the version package.json names.',
  },

  // Transcoder.
  LR_TRANSCODER_SOCKET_PATH: {
    status: 500,
    message: (p: { path: string; max: number }) => `the socket path ${p.path} is longer than ${p.max} bytes: set 'transcoder.tempDir' to a shorter folder`,
    help: "Logged, never answered: ffmpeg's output sockets would not fit the unix path limit; set 'transcoder.tempDir' to a short folder (the run is retried within 'transcoder.maxRestartsPerMinute', then the publisher is disconnected).",
  },

  // Channels, stream keys, transcode profiles (admin API and CLI).
  LR_CHANNEL_NOT_FOUND: {
    status: 404,
    message: (p: { channel: string }) => `no channel named '${p.channel}'`,
    help: 'No such channel: `liveroom channels list` shows them, `liveroom channels create` adds one.',
  },
  LR_CHANNEL_EXISTS: {
    status: 409,
    message: (p: { channel: string }) => `channel '${p.channel}' already exists`,
    help: 'A channel of that name exists already: choose another name.',
  },
  LR_CHANNEL_INVALID: {
    status: 400,
    message: (p: { field: 'name' | 'title' | 'description' | 'offlineMessage' }) =>
      p.field === 'name'
        ? `'name' must be ${NAME_RULE}`
        : p.field === 'title'
          ? `'title' must be a string of 1 to ${TITLE_MAX_LENGTH} characters`
          : `'${p.field}' must be a string of at most ${p.field === 'description' ? DESCRIPTION_MAX_LENGTH : OFFLINE_MESSAGE_MAX_LENGTH} characters`,
    help: `A channel name, title (1 to ${TITLE_MAX_LENGTH} characters), description (up to ${DESCRIPTION_MAX_LENGTH}) or offline message (up to ${OFFLINE_MESSAGE_MAX_LENGTH}) breaks the rule the message states.`,
  },
  LR_CHANNEL_NOT_LIVE: {
    status: 409,
    message: (p: { channel: string }) => `channel '${p.channel}' is not live: its profile applies when it next goes live`,
    help: 'Restarting the transcoder needs a live channel; a new profile applies on the next publish anyway.',
  },
  LR_KEY_NOT_FOUND: {
    status: 404,
    message: (p: { id: string }) => `no stream key with id '${p.id}'`,
    help: 'No stream key has that id: `liveroom keys list` shows them.',
  },
  LR_KEY_INVALID: {
    status: 400,
    message: () => `'label' must be ${KEY_LABEL_RULE}`,
    help: 'A stream key label breaks the rule the message states.',
  },
  LR_KEY_REVOKED: {
    status: 409,
    message: (p: { id: string; rotating: boolean }) => `stream key '${p.id}' is revoked already${p.rotating ? ': create a new one' : ''}`,
    help: 'The key is revoked already: nothing to revoke; create a new key instead of rotating it.',
  },
  LR_MODERATOR_NOT_FOUND: {
    status: 404,
    message: (p: { id: string }) => `no moderator or streamer token with id '${p.id}'`,
    help: 'No chat token has that id: `liveroom moderators list` shows them.',
  },
  LR_MODERATOR_INVALID: {
    status: 400,
    message: (p: { field: 'label' | 'role' }) =>
      p.field === 'label' ? "'label' must be 1 to 64 letters, digits, spaces, _ . : or -" : "'role' must be 'moderator' or 'streamer'",
    help: 'A moderator token label or role breaks the rule the message states.',
  },
  LR_MODERATOR_REVOKED: {
    status: 409,
    message: (p: { id: string }) => `token '${p.id}' is revoked already`,
    help: 'The moderator or streamer token is revoked already: nothing to revoke; add a new one if needed.',
  },
  LR_PROFILE_NOT_FOUND: {
    status: 404,
    message: (p: { name: string; builtins?: readonly string[] }) =>
      `no profile named '${p.name}'${p.builtins ? `: see the profiles list (built-ins: ${p.builtins.join(', ')})` : ''}`,
    help: 'No transcode profile of that name: `liveroom profiles list` shows them.',
  },
  LR_PROFILE_EXISTS: {
    status: 409,
    message: (p: { name: string; builtin: boolean }) =>
      p.builtin ? `'${p.name}' is a built-in profile: choose another name` : `profile '${p.name}' already exists: edit it, or delete it first`,
    help: 'A profile of that name exists (or is built in): edit it, or choose another name.',
  },
  LR_PROFILE_BUILTIN: {
    status: 409,
    message: (p: { name: string; change: 'changed' | 'deleted' }) =>
      p.change === 'changed'
        ? `'${p.name}' is a built-in profile and cannot be changed: create a copy under another name`
        : `'${p.name}' is a built-in profile and cannot be deleted`,
    help: 'Built-in profiles are read-only: create your own under another name.',
  },
  LR_PROFILE_IN_USE: {
    status: 409,
    message: (p: { name: string; assignedTo: readonly string[] } | { name: string; serverDefault: true }) =>
      'assignedTo' in p
        ? `profile '${p.name}' is assigned to ${quoteList(p.assignedTo)}: assign those channels another profile first`
        : `profile '${p.name}' is the server's default ('transcoder.defaultProfile'): change that setting first`,
    help: "A profile still assigned to channels, or the server's default, cannot be deleted: reassign first.",
  },
  LR_PROFILE_INVALID: {
    status: 400,
    message: (p: { problems: string }) => `invalid profile: ${p.problems}`,
    help: 'A transcode profile breaks the rules the message lists, each with its field.',
  },

  // Sharing: share counts and the live thumbnail (server/share-routes.ts, recordings/live-thumbnails.ts).
  LR_SHARE_INVALID: {
    status: 400,
    message: () => "'method' must be 'native', 'copy' or 'embed'",
    help: "A share event (POST /api/channels/<c>/shares) names how the link went out: { \"method\": \"native\" | \"copy\" | \"embed\" }.",
  },
  LR_SHARE_TOO_MANY: {
    status: 429,
    retryAfterSeconds: 10,
    message: (p: { perMinute: number }) => `too many share events from your address (about ${p.perMinute} a minute, 'shares.perMinutePerAddress'); retry later`,
    help: "One address sent more share events than 'shares.burstPerAddress' and 'shares.perMinutePerAddress' allow; they are not counted. Behind a reverse proxy, list it in 'http.trustedProxies'.",
  },
  LR_THUMBNAIL_UNAVAILABLE: {
    status: 404,
    message: (p: { channel: string; live: boolean }) =>
      p.live
        ? `channel '${p.channel}' has no thumbnail yet: the first is made from its first complete segment; retry in a few seconds`
        : `channel '${p.channel}' is offline and has no recording with a thumbnail`,
    help: "A live channel's thumbnail comes from its latest segment ('thumbnails.intervalMs'); an offline channel shows its latest recording's, and has none without one.",
  },

  // Recordings (replays of past broadcasts).
  LR_RECORDING_BAD_ID: {
    status: 400,
    message: (p: { id: string }) => `'${p.id}' is not a recording id (8 to 32 lowercase hex digits): take ids from \`liveroom recordings list\``,
    help: 'A recording id is the broadcast id, 8 to 32 lowercase hex digits: `liveroom recordings list` shows them.',
  },
  LR_RECORDING_NOT_FOUND: {
    status: 404,
    message: (p: { id: string; channel?: string }) => `no recording '${p.id}'${p.channel ? ` on channel '${p.channel}'` : ''} (deleted, or never recorded)`,
    help: 'No recording has that id (on that channel): it was deleted (by hand or by retention) or never recorded.',
  },
  LR_RECORDING_NO_RENDITION: {
    status: 404,
    message: (p: { id: string; rendition: string; recorded: string[] }) =>
      `recording '${p.id}' has no rendition '${p.rendition}' (recorded: ${p.recorded.join(', ') || 'none'})`,
    help: "Only the renditions a channel records are kept ('recordings.renditions'): take the names from the recording's master.m3u8 or `liveroom recordings show`.",
  },
  LR_RECORDING_IN_PROGRESS: {
    status: 409,
    message: (p: { id: string; action: string }) => `recording '${p.id}' is still being recorded: ${p.action} it once the broadcast is over`,
    help: 'A broadcast still on air cannot be deleted or exported: wait for it to end.',
  },
  LR_RECORDING_SETTINGS_INVALID: {
    status: 400,
    message: (p: { problem: string }) => `invalid recording settings: ${p.problem}`,
    help: "Recording settings take 'enabled' (true, false or null for the server default) and 'renditions' ('top', 'all', a list of rendition names, or null).",
  },
  LR_RECORDING_NO_THUMBNAIL: {
    status: 404,
    message: (p: { id: string; status: string }) =>
      p.status === 'recording'
        ? `recording '${p.id}' has no thumbnail yet: it is made when the broadcast ends`
        : `recording '${p.id}' has no thumbnail: ffmpeg could not make one (the server log says why)`,
    help: 'A thumbnail (the middle frame) is made when a recording closes; until then, or when ffmpeg failed (one log line), there is none.',
  },
  LR_RECORDING_EXPORT_FAILED: {
    status: 500,
    message: (p: { id: string; reason: string }) => `exporting recording '${p.id}' failed: ${p.reason}`,
    help: "ffmpeg could not remux the recording into an MP4: the message has ffmpeg's last words; the server log the rest.",
  },

  // Engagement analytics per broadcast.
  LR_ANALYTICS_NOT_FOUND: {
    status: 404,
    message: (p: { id: string }) => `no analytics for broadcast '${p.id}': take ids from \`liveroom analytics\` (broadcasts before analytics was enabled have none)`,
    help: "No analytics for that broadcast id: `liveroom analytics` lists them; a broadcast while 'analytics.enabled' was false has none.",
  },

  // The admin API's token.
  LR_ADMIN_UNAUTHORIZED: {
    status: 401,
    message: (p: { given: boolean }) =>
      p.given
        ? "the admin token is wrong: use the one in the server's data folder (admin-token)"
        : "missing admin token: send 'Authorization: Bearer <token>' (the token is in the server's data folder, file admin-token)",
    help: "The admin API needs 'Authorization: Bearer <token>' with the token from <dataDir>/admin-token.",
  },
  LR_ADMIN_TOKEN: {
    status: 500,
    startup: true,
    message: (p: { file: string }) => `the admin token in ${p.file} is shorter than 16 characters: delete the file and restart to get a new one`,
    help: 'The admin token file was edited: delete it and restart to get a new one.',
  },

  // The Prometheus endpoint.
  LR_METRICS_UNAUTHORIZED: {
    status: 401,
    message: (p: { given: boolean }) =>
      p.given
        ? "the metrics token is wrong: use the one in 'metrics.token' (LIVEROOM_METRICS_TOKEN)"
        : "missing metrics token: send 'Authorization: Bearer <metrics.token>' (Prometheus: authorization: { credentials: <token> })",
    help: "'metrics.token' is set, so /metrics needs 'Authorization: Bearer <token>'; give Prometheus the same token (authorization.credentials).",
  },

  // Redis (chat across several nodes).
  LR_REDIS_UNAVAILABLE: {
    status: 500,
    startup: true,
    message: (p: { url: string; reason: string }) =>
      `cannot connect to Redis at ${p.url} (LIVEROOM_REDIS_URL / chat.redisUrl): ${p.reason}; start Redis or unset LIVEROOM_REDIS_URL to run the chat on one node`,
    help: 'Redis is configured but unreachable at start: start it, or unset LIVEROOM_REDIS_URL for a single node.',
  },
} as const satisfies Record<`LR_${string}`, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CATALOG;
/** What `fail(code, …)` takes after the code: the template's parameters, or nothing. */
export type ErrorParams<C extends ErrorCode> = Parameters<(typeof ERROR_CATALOG)[C]['message']>;
