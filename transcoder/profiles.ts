/** A named ladder of renditions: what viewers can choose between. */
export const ENCODER_CHOICES = ['auto', 'libx264', 'h264_nvenc', 'h264_vaapi', 'h264_qsv'] as const;
export type EncoderChoice = (typeof ENCODER_CHOICES)[number];
/** A concrete H.264 encoder (what `auto` resolves to). */
export type H264Encoder = Exclude<EncoderChoice, 'auto'>;

/** x264's preset names; hardware encoders map them to their nearest setting. */
export const PRESETS = ['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow', 'slower', 'veryslow'] as const;
export type Preset = (typeof PRESETS)[number];

export interface RenditionSpec {
  /** URL-safe name, e.g. "source" or "480p"; the media playlist lives at /hls/<channel>/<name>/. */
  name: string;
  /** Pass the publisher's H.264 through untouched (no encode). */
  copy?: boolean;
  /** Target height; the width follows the source aspect ratio (even) unless `width` is set too. */
  height?: number;
  /** Explicit width (with `height`): the picture is scaled to exactly width×height. */
  width?: number;
  /** Frame rate cap. */
  maxFps?: number;
  /** Video bitrate, kbit/s (DEFAULT_VIDEO_KBPS when left out). */
  videoKbps?: number;
  maxrateKbps?: number;
  bufsizeKbps?: number;
  /** x264 preset (or the hardware encoder's nearest). */
  preset?: Preset;
  /** Audio bitrate when the audio is encoded, kbit/s (DEFAULT_AUDIO_KBPS when left out). */
  audioKbps?: number;
}

/** The bitrates an encoded rendition gets when its profile leaves them out, kbit/s. */
export const DEFAULT_VIDEO_KBPS = 1500;
export const DEFAULT_AUDIO_KBPS = 128;

/**
 * Where encoded renditions put keyframes. `source`: exactly where the publisher
 * has them (the only policy that keeps a copy rendition aligned). A number:
 * every N seconds, for ladders without a copy rendition.
 */
export type KeyframePolicy = 'source' | number;

export interface Profile {
  name: string;
  description: string;
  encoder: EncoderChoice;
  /** Defaults to 'source'. */
  keyframes?: KeyframePolicy;
  renditions: RenditionSpec[];
}

export const BUILTIN_PROFILES: readonly Profile[] = [
  {
    name: 'passthrough',
    description: "The publisher's stream as is: no encode, lowest latency and CPU",
    encoder: 'auto',
    keyframes: 'source',
    renditions: [{ name: 'source', copy: true }],
  },
  {
    name: 'default',
    description: 'Source passed through plus a 360p rendition: sized for a 2-core machine',
    encoder: 'auto',
    keyframes: 'source',
    renditions: [
      { name: 'source', copy: true },
      { name: '360p', height: 360, maxFps: 30, videoKbps: 800, maxrateKbps: 856, bufsizeKbps: 1200, preset: 'veryfast', audioKbps: 96 },
    ],
  },
  {
    name: 'low-cpu',
    description: 'Source passed through plus a cheap 360p (x264 ultrafast, at most 30 fps): for a busy or small machine',
    encoder: 'auto',
    keyframes: 'source',
    renditions: [
      { name: 'source', copy: true },
      { name: '360p', height: 360, maxFps: 30, videoKbps: 700, maxrateKbps: 750, bufsizeKbps: 1000, preset: 'ultrafast', audioKbps: 96 },
    ],
  },
  {
    name: 'abr-3',
    description: 'Three rungs: source passed through, 480p and 360p (at most 30 fps)',
    encoder: 'auto',
    keyframes: 'source',
    renditions: [
      { name: 'source', copy: true },
      { name: '480p', height: 480, maxFps: 30, videoKbps: 1200, maxrateKbps: 1284, bufsizeKbps: 1800, preset: 'veryfast', audioKbps: 128 },
      { name: '360p', height: 360, maxFps: 30, videoKbps: 700, maxrateKbps: 750, bufsizeKbps: 1050, preset: 'superfast', audioKbps: 96 },
    ],
  },
];

export function builtinProfile(name: string): Profile | undefined {
  return BUILTIN_PROFILES.find((p) => p.name === name);
}

export function isBuiltinProfile(name: string): boolean {
  return BUILTIN_PROFILES.some((p) => p.name === name);
}
