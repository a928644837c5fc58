import { av1CodecString, avcCodecString, hevcCodecString } from './codec-strings';

/**
 * Just enough ISO-BMFF parsing for a live packager: the init segment (ftyp+moov)
 * tells us tracks, timescales and codec strings; each moof tells us, per track,
 * where the fragment starts, how long it lasts and whether it opens on a keyframe.
 */

export interface Box {
  type: string;
  /** Offset of the box header in the buffer it was read from. */
  start: number;
  /** Offset of the payload (after the header). */
  body: number;
  end: number;
}

/** Lists the child boxes of `buf[from, to)`; stops at a truncated box. */
export function readBoxes(buf: Buffer, from = 0, to = buf.length): Box[] {
  const boxes: Box[] = [];
  let off = from;
  while (off + 8 <= to) {
    let size = buf.readUInt32BE(off);
    const type = buf.toString('latin1', off + 4, off + 8);
    let header = 8;
    if (size === 1) {
      if (off + 16 > to) break;
      size = Number(buf.readBigUInt64BE(off + 8));
      header = 16;
    } else if (size === 0) {
      size = to - off;
    }
    if (size < header || off + size > to) break;
    boxes.push({ type, start: off, body: off + header, end: off + size });
    off += size;
  }
  return boxes;
}

function child(buf: Buffer, parent: Box, type: string): Box | undefined {
  return readBoxes(buf, parent.body, parent.end).find((b) => b.type === type);
}

function children(buf: Buffer, parent: Box, type: string): Box[] {
  return readBoxes(buf, parent.body, parent.end).filter((b) => b.type === type);
}

function path(buf: Buffer, parent: Box, ...types: string[]): Box | undefined {
  let node: Box | undefined = parent;
  for (const t of types) {
    if (!node) return undefined;
    node = child(buf, node, t);
  }
  return node;
}

export interface TrackInfo {
  id: number;
  kind: 'video' | 'audio' | 'other';
  timescale: number;
  /** RFC 6381 codec string, e.g. avc1.64001f or mp4a.40.2. */
  codec: string;
  width: number;
  height: number;
  sampleRate: number;
  channels: number;
  defaultSampleDuration: number;
  defaultSampleFlags: number;
}

export interface InitInfo {
  tracks: TrackInfo[];
  video?: TrackInfo;
  audio?: TrackInfo;
}

const hex2 = (n: number) => n.toString(16).padStart(2, '0');

/** The video codec string from the sample entry's decoder configuration (avcC, hvcC, av1C): what is really in the segments. */
function videoCodec(buf: Buffer, entry: Box): string {
  // VisualSampleEntry: 8 (SampleEntry) + 70 bytes of fields before child boxes.
  const config = (type: string) => {
    const b = readBoxes(buf, entry.body + 78, entry.end).find((x) => x.type === type);
    return b ? buf.subarray(b.body, b.end) : undefined;
  };
  if (entry.type === 'avc1' || entry.type === 'avc3') {
    const avcC = config('avcC');
    return avcC ? avcCodecString(entry.type, avcC) : entry.type;
  }
  if (entry.type === 'hvc1' || entry.type === 'hev1') {
    const hvcC = config('hvcC');
    return hvcC ? hevcCodecString(entry.type, hvcC) : entry.type;
  }
  if (entry.type === 'av01') {
    const av1C = config('av1C');
    return av1C ? av1CodecString(av1C) : entry.type;
  }
  return entry.type;
}

/** Walks an esds descriptor list to the AudioSpecificConfig's object type. */
function mp4aCodec(buf: Buffer, entry: Box): string {
  // AudioSampleEntry: 8 (SampleEntry) + 20 bytes before child boxes.
  const esds = readBoxes(buf, entry.body + 28, entry.end).find((b) => b.type === 'esds');
  if (!esds) return 'mp4a.40.2';
  let p = esds.body + 4; // version + flags
  const readLen = () => {
    let len = 0;
    for (let i = 0; i < 4; i++) {
      const b = buf[p++];
      len = (len << 7) | (b & 0x7f);
      if (!(b & 0x80)) break;
    }
    return len;
  };
  let oti = 0x40;
  while (p < esds.end) {
    const tag = buf[p++];
    const len = readLen();
    if (tag === 0x03) {
      const flags = buf[p + 2];
      p += 3 + (flags & 0x80 ? 2 : 0) + (flags & 0x40 ? 1 + buf[p + 3] : 0) + (flags & 0x20 ? 2 : 0);
    } else if (tag === 0x04) {
      oti = buf[p];
      p += 13;
    } else if (tag === 0x05) {
      let aot = buf[p] >> 3;
      if (aot === 31) aot = 32 + (((buf[p] & 0x07) << 3) | (buf[p + 1] >> 5));
      return `mp4a.${hex2(oti)}.${aot}`;
    } else {
      p += len;
    }
  }
  return `mp4a.${hex2(oti)}`;
}

/** Parses ftyp+moov. Throws when there is no moov. */
export function parseInit(buf: Buffer): InitInfo {
  const moov = readBoxes(buf).find((b) => b.type === 'moov');
  if (!moov) throw new Error('init segment has no moov box');
  const trex = new Map<number, { duration: number; flags: number }>();
  const mvex = child(buf, moov, 'mvex');
  if (mvex) {
    for (const t of children(buf, mvex, 'trex')) {
      trex.set(buf.readUInt32BE(t.body + 4), { duration: buf.readUInt32BE(t.body + 12), flags: buf.readUInt32BE(t.body + 20) });
    }
  }
  const tracks: TrackInfo[] = [];
  for (const trak of children(buf, moov, 'trak')) {
    const tkhd = child(buf, trak, 'tkhd');
    const mdhd = path(buf, trak, 'mdia', 'mdhd');
    const hdlr = path(buf, trak, 'mdia', 'hdlr');
    const stsd = path(buf, trak, 'mdia', 'minf', 'stbl', 'stsd');
    if (!tkhd || !mdhd || !hdlr) continue;
    const tkv = buf[tkhd.body];
    const id = buf.readUInt32BE(tkhd.body + (tkv === 1 ? 20 : 12));
    const mdv = buf[mdhd.body];
    const timescale = buf.readUInt32BE(mdhd.body + (mdv === 1 ? 20 : 12));
    const handler = buf.toString('latin1', hdlr.body + 8, hdlr.body + 12);
    const entry = stsd ? readBoxes(buf, stsd.body + 8, stsd.end)[0] : undefined;
    const defaults = trex.get(id) ?? { duration: 0, flags: 0 };
    const info: TrackInfo = {
      id,
      kind: handler === 'vide' ? 'video' : handler === 'soun' ? 'audio' : 'other',
      timescale,
      codec: entry?.type ?? '',
      width: 0,
      height: 0,
      sampleRate: 0,
      channels: 0,
      defaultSampleDuration: defaults.duration,
      defaultSampleFlags: defaults.flags,
    };
    if (entry && info.kind === 'video') {
      info.width = buf.readUInt16BE(entry.body + 24);
      info.height = buf.readUInt16BE(entry.body + 26);
      info.codec = videoCodec(buf, entry);
    } else if (entry && info.kind === 'audio') {
      info.channels = buf.readUInt16BE(entry.body + 16);
      info.sampleRate = buf.readUInt32BE(entry.body + 24) >>> 16;
      if (entry.type === 'mp4a') info.codec = mp4aCodec(buf, entry);
    }
    tracks.push(info);
  }
  return { tracks, video: tracks.find((t) => t.kind === 'video'), audio: tracks.find((t) => t.kind === 'audio') };
}

export interface TrackRun {
  trackId: number;
  /** baseMediaDecodeTime, in the track's timescale. */
  baseTime: number;
  /** Sum of sample durations, in the track's timescale. */
  duration: number;
  sampleCount: number;
  /** The first sample is a sync sample (keyframe). */
  startsWithKey: boolean;
}

const SAMPLE_IS_NON_SYNC = 0x10000;

/** Reads timing of every track fragment in a moof. */
export function parseMoof(buf: Buffer, moof: Box, init: InitInfo): TrackRun[] {
  const runs: TrackRun[] = [];
  for (const traf of children(buf, moof, 'traf')) {
    const tfhd = child(buf, traf, 'tfhd');
    if (!tfhd) continue;
    const tfhdFlags = buf.readUInt32BE(tfhd.body) & 0xffffff;
    const trackId = buf.readUInt32BE(tfhd.body + 4);
    const track = init.tracks.find((t) => t.id === trackId);
    let p = tfhd.body + 8;
    if (tfhdFlags & 0x1) p += 8; // base_data_offset
    if (tfhdFlags & 0x2) p += 4; // sample_description_index
    let defDuration = track?.defaultSampleDuration ?? 0;
    let defFlags = track?.defaultSampleFlags ?? 0;
    if (tfhdFlags & 0x8) { defDuration = buf.readUInt32BE(p); p += 4; }
    if (tfhdFlags & 0x10) p += 4; // default_sample_size
    if (tfhdFlags & 0x20) defFlags = buf.readUInt32BE(p);

    const tfdt = child(buf, traf, 'tfdt');
    const baseTime = tfdt
      ? buf[tfdt.body] === 1 ? Number(buf.readBigUInt64BE(tfdt.body + 4)) : buf.readUInt32BE(tfdt.body + 4)
      : 0;

    let duration = 0;
    let sampleCount = 0;
    let firstFlags: number | undefined;
    for (const trun of children(buf, traf, 'trun')) {
      const flags = buf.readUInt32BE(trun.body) & 0xffffff;
      const count = buf.readUInt32BE(trun.body + 4);
      let q = trun.body + 8;
      if (flags & 0x1) q += 4; // data_offset
      let runFirstFlags: number | undefined;
      if (flags & 0x4) { runFirstFlags = buf.readUInt32BE(q); q += 4; }
      for (let i = 0; i < count; i++) {
        let d = defDuration;
        let f = defFlags;
        if (flags & 0x100) { d = buf.readUInt32BE(q); q += 4; }
        if (flags & 0x200) q += 4;
        if (flags & 0x400) { f = buf.readUInt32BE(q); q += 4; }
        if (flags & 0x800) q += 4;
        if (i === 0 && runFirstFlags !== undefined) f = runFirstFlags;
        if (sampleCount === 0 && i === 0) firstFlags = f;
        duration += d;
      }
      sampleCount += count;
    }
    runs.push({
      trackId,
      baseTime,
      duration,
      sampleCount,
      startsWithKey: track?.kind === 'audio' ? true : firstFlags !== undefined && !(firstFlags & SAMPLE_IS_NON_SYNC),
    });
  }
  return runs;
}
