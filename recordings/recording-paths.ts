import path from 'node:path';

/** A recording id is its broadcast's id (broadcast/broadcast-coordinator.ts): lowercase hex. */
export const RECORDING_ID_PATTERN = /^[0-9a-f]{8,32}$/;

export const isRecordingId = (value: unknown): value is string => typeof value === 'string' && RECORDING_ID_PATTERN.test(value);

/** The files of a recorded rendition, named like nothing else so a URL can be parsed back to exactly one. */
export const recordingFiles = {
  init: (initId: number) => `init-${initId}.mp4`,
  segment: (msn: number) => `seg-${msn}.m4s`,
};

/** Not a rendition name (core/names.ts has no dots), so it can sit beside the rendition folders. */
export const THUMBNAIL_FILE = 'thumb.jpg';

/** The inverse of recordingFiles: undefined for any name it would not write. */
export function parseRecordingFile(file: string): { kind: 'init' | 'segment'; n: number } | undefined {
  const m = /^(init|seg)-(0|[1-9]\d{0,8})\.(mp4|m4s)$/.exec(file);
  if (!m) return undefined;
  const kind = m[1] === 'init' ? 'init' : 'segment';
  if ((kind === 'init') !== (m[3] === 'mp4')) return undefined;
  return { kind, n: Number(m[2]) };
}

/**
 * Where recordings live: `<root>/<channel>/<id>/<rendition>/{init-N.mp4,seg-N.m4s}` and `<root>/<channel>/<id>/thumb.jpg`. Every part of a path comes
 * from a checked name (channel and rendition names follow core/names.ts, ids RECORDING_ID_PATTERN), never from a
 * request as it came.
 */
export class RecordingPaths {
  constructor(readonly root: string) {}

  recording(channel: string, id: string): string {
    return path.join(this.root, channel, id);
  }

  /** The recording's JPEG (recordings/recording-thumbnail.ts), beside its rendition folders. */
  thumbnail(channel: string, id: string): string {
    return path.join(this.root, channel, id, THUMBNAIL_FILE);
  }

  rendition(channel: string, id: string, rendition: string): string {
    return path.join(this.root, channel, id, rendition);
  }

  file(channel: string, id: string, rendition: string, file: string): string {
    return path.join(this.root, channel, id, rendition, file);
  }
}
