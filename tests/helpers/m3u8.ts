/** A small LL-HLS media playlist reader for assertions (independent of the writer under test). */
export interface ParsedPart { duration: number; uri: string; independent: boolean }
export interface ParsedSegment { msn: number; duration: number; uri: string; parts: ParsedPart[]; discontinuity: boolean; map?: string; pdt?: string }
export interface ParsedMedia {
  version: number;
  targetDuration: number;
  partTarget: number;
  serverControl: Record<string, string>;
  mediaSequence: number;
  skipped: number;
  segments: ParsedSegment[];
  /** Parts after the last EXTINF (the segment in progress). */
  trailingParts: ParsedPart[];
  preloadHint?: string;
  reports: Record<string, string>[];
  endlist: boolean;
}

export function attrs(list: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of list.matchAll(/([A-Z0-9-]+)=("[^"]*"|[^,]*)/g)) out[m[1]] = m[2].replace(/^"|"$/g, '');
  return out;
}

export function parseMedia(text: string): ParsedMedia {
  const lines = text.trim().split('\n');
  if (lines[0] !== '#EXTM3U') throw new Error('not a playlist');
  const p: ParsedMedia = { version: 0, targetDuration: 0, partTarget: 0, serverControl: {}, mediaSequence: 0, skipped: 0, segments: [], trailingParts: [], reports: [], endlist: false };
  let parts: ParsedPart[] = [];
  let disc = false;
  let map: string | undefined;
  let pdt: string | undefined;
  let duration = 0;
  for (const line of lines.slice(1)) {
    const [tag, rest = ''] = line.split(/:(.*)/s);
    switch (tag) {
      case '#EXT-X-VERSION': p.version = Number(rest); break;
      case '#EXT-X-TARGETDURATION': p.targetDuration = Number(rest); break;
      case '#EXT-X-PART-INF': p.partTarget = Number(attrs(rest)['PART-TARGET']); break;
      case '#EXT-X-SERVER-CONTROL': p.serverControl = attrs(rest); break;
      case '#EXT-X-MEDIA-SEQUENCE': p.mediaSequence = Number(rest); break;
      case '#EXT-X-SKIP': p.skipped = Number(attrs(rest)['SKIPPED-SEGMENTS']); break;
      case '#EXT-X-DISCONTINUITY': disc = true; break;
      case '#EXT-X-MAP': map = attrs(rest).URI; break;
      case '#EXT-X-PROGRAM-DATE-TIME': pdt = rest; break;
      case '#EXT-X-PART': {
        const a = attrs(rest);
        parts.push({ duration: Number(a.DURATION), uri: a.URI, independent: a.INDEPENDENT === 'YES' });
        break;
      }
      case '#EXTINF': duration = Number(rest.split(',')[0]); break;
      case '#EXT-X-PRELOAD-HINT': p.preloadHint = attrs(rest).URI; break;
      case '#EXT-X-RENDITION-REPORT': p.reports.push(attrs(rest)); break;
      case '#EXT-X-ENDLIST': p.endlist = true; break;
      default:
        if (!line.startsWith('#') && line.trim()) {
          p.segments.push({ msn: p.mediaSequence + p.skipped + p.segments.length, duration, uri: line.trim(), parts, discontinuity: disc, map, pdt });
          parts = [];
          disc = false;
        }
    }
  }
  p.trailingParts = parts;
  return p;
}

export interface ParsedVariant { uri: string; attrs: Record<string, string> }

export function parseMultivariant(text: string): ParsedVariant[] {
  const lines = text.trim().split('\n');
  const out: ParsedVariant[] = [];
  lines.forEach((line, i) => {
    if (line.startsWith('#EXT-X-STREAM-INF:')) out.push({ attrs: attrs(line.slice('#EXT-X-STREAM-INF:'.length)), uri: lines[i + 1] });
  });
  return out;
}
