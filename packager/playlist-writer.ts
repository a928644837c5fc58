import type { MediaPlaylist, Segment } from './media-playlist';
import { uris } from './media-uris';

export interface RenditionReport {
  name: string;
  lastMsn: number;
  lastPart: number;
}

export interface RenderOptions {
  /** _HLS_skip=YES|v2: a delta update. */
  skip?: boolean;
  /** The other renditions of the channel (EXT-X-RENDITION-REPORT). */
  reports?: RenditionReport[];
}

const f3 = (n: number) => n.toFixed(3);
const f5 = (n: number) => n.toFixed(5);

/**
 * Each part's listed DURATION is its true duration plus 0.1 ms (EXTINF stays true, so segments start where their
 * media does). Shaka Player 5.2 (segments mode) sets a SourceBuffer's negative timestampOffset 1 ms high and then
 * compares every append's offset against that value read back: a difference of exactly 1 ms, which floating point
 * puts on either side of its ">= 0.001" threshold, depending on the offset. On the wrong side it calls abort()
 * before every part, and Chrome drops each part that does not open on a keyframe (5 frames a second played;
 * shaka-player#10559, fixed upstream but not released). With parts listed a little long, a part later in a
 * segment maps a little later than the part the offset was set on, so the difference is just under 1 ms.
 */
const PART_DURATION_NUDGE = 0.0001;

/** Segments whose parts stay listed: those within three target durations of the live edge. */
function partsFrom(segments: Segment[], current: Segment | undefined, targetDuration: number): number {
  let age = current?.duration ?? 0;
  let i = segments.length;
  while (i > 0 && age < 3 * targetDuration) {
    i--;
    age += segments[i].duration;
  }
  return i;
}

/** Renders a LL-HLS media playlist (RFC 8216bis) from a rendition's state. */
export function renderMediaPlaylist(pl: MediaPlaylist, opts: RenderOptions = {}): string {
  const td = pl.targetDuration;
  const partTarget = pl.partTarget;
  const epoch = pl.epoch;
  const canSkipUntil = 6 * td;
  const out: string[] = [
    '#EXTM3U',
    '#EXT-X-VERSION:9',
    '#EXT-X-INDEPENDENT-SEGMENTS',
    `#EXT-X-TARGETDURATION:${td}`,
    `#EXT-X-PART-INF:PART-TARGET=${f5(partTarget)}`,
    `#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=${f3(canSkipUntil)},PART-HOLD-BACK=${f3(3 * partTarget)},HOLD-BACK=${f3(3 * td)}`,
    `#EXT-X-MEDIA-SEQUENCE:${pl.mediaSequence}`,
    `#EXT-X-DISCONTINUITY-SEQUENCE:${pl.discontinuitySequence}`,
  ];

  const segments = pl.segments;
  let skipped = 0;
  if (opts.skip) {
    // Skip the oldest segments that end more than CAN-SKIP-UNTIL before the end of the playlist, but never one that
    // opens with EXT-X-DISCONTINUITY: the tag would go with it, and a client that numbers timelines from the delta
    // update alone (VHS's m3u8-parser: EXT-X-DISCONTINUITY-SEQUENCE plus the tags it sees) would put the segments after
    // it on the timeline before, and the next reconnect's segments on the timeline of this one. VHS then appended the
    // new publisher's media at its old timestamps, called it a bad segment and asked for it again, without end.
    let remaining = segments.reduce((a, s) => a + s.duration, 0) + (pl.current?.duration ?? 0);
    while (skipped < segments.length && !segments[skipped].discontinuity && remaining - segments[skipped].duration >= canSkipUntil) {
      remaining -= segments[skipped].duration;
      skipped++;
    }
    if (skipped > 0) out.push(`#EXT-X-SKIP:SKIPPED-SEGMENTS=${skipped}`);
  }

  const listPartsFrom = partsFrom(segments, pl.current, td);
  let mapId: number | undefined;
  const writeHead = (s: Segment) => {
    if (s.discontinuity) out.push('#EXT-X-DISCONTINUITY');
    if (s.initId !== mapId) {
      mapId = s.initId;
      out.push(`#EXT-X-MAP:URI="${uris.init(epoch, s.initId)}"`);
    }
    out.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(s.programDateTime).toISOString()}`);
  };
  const writeParts = (s: Segment) => {
    for (const p of s.parts) {
      out.push(`#EXT-X-PART:DURATION=${f5(p.duration + PART_DURATION_NUDGE)},URI="${uris.part(epoch, p.id)}"${p.independent ? ',INDEPENDENT=YES' : ''}`);
    }
  };

  for (let i = skipped; i < segments.length; i++) {
    const s = segments[i];
    writeHead(s);
    if (i >= listPartsFrom) writeParts(s);
    out.push(`#EXTINF:${f5(s.duration)},`);
    out.push(uris.segment(epoch, s.msn));
  }
  const cur = pl.current;
  if (cur && cur.parts.length > 0) {
    writeHead(cur);
    writeParts(cur);
  }
  // The hint also stays while the publisher is away: hls.js takes a live playlist with parts that ends on a
  // segment URI as if that segment were still in progress, and then finds the next segment "mismatched".
  // No hint for a part that should open a new segment: Shaka Player files the hinted part under the segment in
  // progress, and when the next playlist lists it as the first part of a new segment, fetches and appends it again;
  // the second append of a keyframe part under the frames being played stalls Chrome's decoder (issue 12).
  const hint = pl.nextPartOpensSegment ? undefined : pl.nextPartIdHint;
  if (hint !== undefined && (cur?.parts.length || segments.length)) {
    out.push(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="${uris.part(epoch, hint)}"`);
  }
  for (const r of opts.reports ?? []) {
    out.push(`#EXT-X-RENDITION-REPORT:URI="../${r.name}/index.m3u8",LAST-MSN=${r.lastMsn},LAST-PART=${r.lastPart}`);
  }
  if (pl.ended) out.push('#EXT-X-ENDLIST');
  return out.join('\n') + '\n';
}

/** The rendition report another rendition's playlist carries for this one. */
export function renditionReport(name: string, pl: MediaPlaylist): RenditionReport | undefined {
  const last = pl.lastSegment;
  if (!last) return undefined;
  return { name, lastMsn: last.msn, lastPart: last.parts.length - 1 };
}

export interface VariantInfo {
  name: string;
  bandwidth: number;
  width: number;
  height: number;
  codecs: string[];
  frameRate: number;
}

/** Renders the multivariant playlist; variant URIs are `<broadcastId>/<name>/index.m3u8`, relative to it. */
export function renderMultivariantPlaylist(variants: VariantInfo[], broadcastId: string): string {
  const out = ['#EXTM3U', '#EXT-X-VERSION:9', '#EXT-X-INDEPENDENT-SEGMENTS'];
  for (const v of variants) {
    const attrs = [`BANDWIDTH=${Math.round(v.bandwidth)}`];
    if (v.width && v.height) attrs.push(`RESOLUTION=${v.width}x${v.height}`);
    if (v.codecs.length) attrs.push(`CODECS="${v.codecs.join(',')}"`);
    if (v.frameRate > 0) attrs.push(`FRAME-RATE=${v.frameRate.toFixed(3)}`);
    // No closed-caption renditions: Shaka otherwise probes segments for CEA-608 (and fails on live LL-HLS).
    attrs.push('CLOSED-CAPTIONS=NONE');
    attrs.push(`STABLE-VARIANT-ID="${v.name}"`);
    out.push(`#EXT-X-STREAM-INF:${attrs.join(',')}`);
    out.push(`${broadcastId}/${v.name}/index.m3u8`);
  }
  return out.join('\n') + '\n';
}
