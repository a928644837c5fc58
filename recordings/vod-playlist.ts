import type { RecordedSegment, RecordingRendition } from '../storage/recording-store';
import { recordingFiles } from './recording-paths';

const f5 = (n: number) => n.toFixed(5);

/**
 * A recorded rendition's media playlist (RFC 8216): the segments as they were
 * served live, each with its EXT-X-PROGRAM-DATE-TIME (the replay's chat is
 * synchronised on it), EXT-X-DISCONTINUITY where the live one had it (a
 * reconnect, an ffmpeg restart) and a new EXT-X-MAP where the init changes.
 * Finished: PLAYLIST-TYPE VOD and ENDLIST, so a player can seek anywhere.
 * Still on air: PLAYLIST-TYPE EVENT without ENDLIST (it only grows).
 * URIs are relative to the playlist.
 */
export function renderVodMedia(segments: RecordedSegment[], finished: boolean, uri: (file: string) => string = (f) => f): string {
  const target = Math.max(1, ...segments.map((s) => Math.round(s.duration)));
  const out = [
    '#EXTM3U',
    '#EXT-X-VERSION:7',
    `#EXT-X-TARGETDURATION:${target}`,
    `#EXT-X-PLAYLIST-TYPE:${finished ? 'VOD' : 'EVENT'}`,
    `#EXT-X-MEDIA-SEQUENCE:${segments[0]?.msn ?? 0}`,
    '#EXT-X-INDEPENDENT-SEGMENTS',
  ];
  let initId: number | undefined;
  for (const [i, s] of segments.entries()) {
    // The live playlist's discontinuities, plus any change of init (it always comes with a new stream).
    if (i > 0 && (s.discontinuity || s.initId !== initId)) out.push('#EXT-X-DISCONTINUITY');
    if (s.initId !== initId) {
      initId = s.initId;
      out.push(`#EXT-X-MAP:URI="${uri(recordingFiles.init(s.initId))}"`);
    }
    out.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(s.programDateTime).toISOString()}`);
    out.push(`#EXTINF:${f5(s.duration)},`);
    out.push(uri(recordingFiles.segment(s.msn)));
  }
  if (finished) out.push('#EXT-X-ENDLIST');
  return out.join('\n') + '\n';
}

/** The recording's multivariant playlist: its recorded renditions, highest first; variant URIs `<rendition>/index.m3u8`. */
export function renderVodMultivariant(renditions: RecordingRendition[]): string {
  const out = ['#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-INDEPENDENT-SEGMENTS'];
  const sorted = [...renditions].filter((r) => r.segments > 0).sort((a, b) => b.height - a.height || b.peakBitrate - a.peakBitrate);
  for (const r of sorted) {
    const average = r.duration > 0 ? (r.bytes * 8) / r.duration : 0;
    const attrs = [`BANDWIDTH=${Math.round(Math.max(r.peakBitrate, average))}`];
    if (average > 0) attrs.push(`AVERAGE-BANDWIDTH=${Math.round(average)}`);
    if (r.width && r.height) attrs.push(`RESOLUTION=${r.width}x${r.height}`);
    if (r.codecs.length) attrs.push(`CODECS="${r.codecs.join(',')}"`);
    attrs.push('CLOSED-CAPTIONS=NONE');
    attrs.push(`STABLE-VARIANT-ID="${r.name}"`);
    out.push(`#EXT-X-STREAM-INF:${attrs.join(',')}`);
    out.push(`${r.name}/index.m3u8`);
  }
  return out.join('\n') + '\n';
}
