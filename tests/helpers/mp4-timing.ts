/**
 * A small ISO-BMFF timing reader for assertions, independent of the packager's
 * own box reader: track ids, kinds and timescales from an init segment, and the
 * baseMediaDecodeTime (tfdt) of each track in a moof.
 */
interface RawBox { type: string; body: number; end: number }

function boxes(buf: Buffer, from = 0, to = buf.length): RawBox[] {
  const out: RawBox[] = [];
  for (let off = from; off + 8 <= to;) {
    let size = buf.readUInt32BE(off);
    let header = 8;
    if (size === 1) {
      size = Number(buf.readBigUInt64BE(off + 8));
      header = 16;
    }
    if (size < header || off + size > to) break;
    out.push({ type: buf.toString('latin1', off + 4, off + 8), body: off + header, end: off + size });
    off += size;
  }
  return out;
}

const find = (buf: Buffer, parent: RawBox | undefined, type: string) => (parent ? boxes(buf, parent.body, parent.end).find((b) => b.type === type) : undefined);

export interface InitTrack { id: number; kind: string; timescale: number; sampleEntry: string }

export function initTracks(init: Buffer): InitTrack[] {
  const moov = boxes(init).find((b) => b.type === 'moov');
  if (!moov) throw new Error('no moov in init segment');
  return boxes(init, moov.body, moov.end).filter((b) => b.type === 'trak').map((trak) => {
    const tkhd = find(init, trak, 'tkhd')!;
    const mdia = find(init, trak, 'mdia');
    const mdhd = find(init, mdia, 'mdhd')!;
    const hdlr = find(init, mdia, 'hdlr')!;
    const stsd = find(init, find(init, find(init, mdia, 'minf'), 'stbl'), 'stsd');
    return {
      id: init.readUInt32BE(tkhd.body + (init[tkhd.body] === 1 ? 20 : 12)),
      timescale: init.readUInt32BE(mdhd.body + (init[mdhd.body] === 1 ? 20 : 12)),
      kind: init.toString('latin1', hdlr.body + 8, hdlr.body + 12),
      sampleEntry: stsd ? init.toString('latin1', stsd.body + 12, stsd.body + 16) : '',
    };
  });
}

/** tfdt of every track of every moof in `media` (a part or a segment), in seconds, by handler kind ('vide', 'soun'). */
export function moofStarts(media: Buffer, tracks: InitTrack[]): Array<Record<string, number>> {
  return boxes(media).filter((b) => b.type === 'moof').map((moof) => {
    const out: Record<string, number> = {};
    for (const traf of boxes(media, moof.body, moof.end).filter((b) => b.type === 'traf')) {
      const tfhd = find(media, traf, 'tfhd')!;
      const tfdt = find(media, traf, 'tfdt');
      const track = tracks.find((t) => t.id === media.readUInt32BE(tfhd.body + 4));
      if (!track || !tfdt) continue;
      const base = media[tfdt.body] === 1 ? Number(media.readBigUInt64BE(tfdt.body + 4)) : media.readUInt32BE(tfdt.body + 4);
      out[track.kind] = base / track.timescale;
    }
    return out;
  });
}
