/**
 * The names of the media files, built for the playlists and parsed back for
 * the HTTP route: one place, so the two cannot disagree. Names are relative to
 * the media playlist and carry the server run's epoch, so a cache never mixes
 * two runs. Init segments are .mp4; segments and parts are .m4s.
 */
export type MediaKind = 'init' | 'segment' | 'part';

export const uris = {
  init: (epoch: string, id: number) => `init-${epoch}-${id}.mp4`,
  segment: (epoch: string, msn: number) => `seg-${epoch}-${msn}.m4s`,
  part: (epoch: string, id: number) => `part-${epoch}-${id}.m4s`,
};

export interface MediaUri {
  kind: MediaKind;
  epoch: string;
  /** The init id, the segment's msn or the part id. */
  n: number;
}

const KINDS: Record<string, { kind: MediaKind; ext: string }> = {
  init: { kind: 'init', ext: 'mp4' },
  seg: { kind: 'segment', ext: 'm4s' },
  part: { kind: 'part', ext: 'm4s' },
};

/** The inverse of `uris`: undefined for any name `uris` would not write (wrong extension, leading zeros, …). */
export function parseMediaUri(file: string): MediaUri | undefined {
  const m = /^(init|seg|part)-([0-9a-f]+)-(0|[1-9]\d{0,8})\.(mp4|m4s)$/.exec(file);
  if (!m) return undefined;
  const [, prefix, epoch, num, ext] = m;
  const { kind, ext: expected } = KINDS[prefix];
  return ext === expected ? { kind, epoch, n: Number(num) } : undefined;
}
