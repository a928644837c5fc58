import { z } from 'zod';

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
    host: host.default('0.0.0.0'),
    /** The RTMP application name: OBS publishes to rtmp://HOST:PORT/<app>/<streamKey>. */
    app: z.string().regex(/^[a-zA-Z0-9_-]+$/, 'letters, digits, _ and - only').default('live'),
    /** A connection that has not started publishing by then is dropped (broken handshakes, idle sockets). */
    handshakeTimeoutMs: z.number().int().min(100).max(120_000).default(10_000),
  })
  .strict();

export const httpSchema = z
  .object({
    port: port.default(8000),
    host: host.default('0.0.0.0'),
    /** The URL printed for viewers and OBS; derived from the listen address when unset. */
    publicUrl: z.string().url().optional(),
    /** Access-Control-Allow-Origin for /hls and the public API, so the stream can be embedded elsewhere. */
    corsOrigin: z.string().min(1).default('*'),
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
    /** Restarts allowed per minute when ffmpeg dies while the publisher is still live. */
    maxRestartsPerMinute: z.number().int().min(0).max(60).default(5),
    /** Grace between SIGTERM and SIGKILL when stopping ffmpeg. */
    killTimeoutMs: z.number().int().min(100).max(30_000).default(2000),
  })
  .strict();

export const configSchema = z
  .object({
    /** Where SQLite, the admin token and recordings live. */
    dataDir: z.string().min(1).default('./data'),
    /** Public name of the channel created on first start. */
    defaultChannel: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'lowercase letters, digits, _ and -, up to 32').default('live'),
    /** Sets the default channel's stream key (scripted setups); a random key is generated otherwise. */
    streamKey: z.string().regex(/^[A-Za-z0-9_-]{8,128}$/, '8 to 128 letters, digits, _ or -').optional(),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    rtmp: rtmpSchema.default(rtmpSchema.parse({})),
    http: httpSchema.default(httpSchema.parse({})),
    hls: hlsSchema.default(hlsSchema.parse({})),
    transcoder: transcoderSchema.default(transcoderSchema.parse({})),
  })
  .strict();

export type LiveroomConfig = z.infer<typeof configSchema>;
export type RtmpConfig = LiveroomConfig['rtmp'];
export type HttpConfig = LiveroomConfig['http'];
export type HlsConfig = LiveroomConfig['hls'];
export type TranscoderConfig = LiveroomConfig['transcoder'];
/** What a caller may pass: every key optional, nested objects partial. */
export type LiveroomConfigInput = z.input<typeof configSchema>;
