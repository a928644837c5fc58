/** A named ladder of renditions: what viewers can choose between. */
export type EncoderChoice = 'auto' | 'libx264' | 'h264_nvenc' | 'h264_vaapi' | 'h264_qsv';

export interface RenditionSpec {
  /** URL-safe name, e.g. "source" or "480p"; the media playlist lives at /hls/<channel>/<name>/. */
  name: string;
  /** Pass the publisher's H.264 through untouched (no encode). */
  copy?: boolean;
  /** Target height; the width follows the source aspect ratio (even). */
  height?: number;
  /** Frame rate cap. */
  maxFps?: number;
  videoKbps?: number;
  maxrateKbps?: number;
  bufsizeKbps?: number;
  /** x264 preset (or the hardware encoder's nearest). */
  preset?: string;
  audioKbps?: number;
}

export interface Profile {
  name: string;
  description: string;
  encoder: EncoderChoice;
  renditions: RenditionSpec[];
}

export const BUILTIN_PROFILES: readonly Profile[] = [
  {
    name: 'passthrough',
    description: 'The publisher\'s stream as is: no encode, lowest latency and CPU',
    encoder: 'auto',
    renditions: [{ name: 'source', copy: true }],
  },
  {
    name: 'default',
    description: 'Source passed through plus a 360p rendition: sized for a 2-core machine',
    encoder: 'auto',
    renditions: [
      { name: 'source', copy: true },
      { name: '360p', height: 360, maxFps: 30, videoKbps: 800, maxrateKbps: 856, bufsizeKbps: 1200, preset: 'veryfast', audioKbps: 96 },
    ],
  },
];

export function builtinProfile(name: string): Profile | undefined {
  return BUILTIN_PROFILES.find((p) => p.name === name);
}
