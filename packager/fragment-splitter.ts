import { parseInit, parseMoof, readBoxes, type InitInfo } from './mp4-boxes';

export interface Fragment {
  /** moof+mdat, playable as an LL-HLS part. */
  bytes: Buffer;
  /** Media time of the fragment start, seconds (video track, else the first track). */
  start: number;
  /** Seconds. */
  duration: number;
  /** Samples of the main (video) track in this fragment. */
  samples: number;
  /** Opens with a keyframe: a segment may start here, the part is INDEPENDENT. */
  independent: boolean;
}

export interface SplitterHandlers {
  onInit(bytes: Buffer, info: InitInfo): void;
  onFragment(fragment: Fragment): void;
}

/**
 * Cuts a fragmented-MP4 byte stream (as ffmpeg writes it to a socket, in
 * arbitrary chunks) into its init segment and its moof+mdat fragments.
 */
export class FragmentSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private initBoxes: Buffer[] = [];
  private init?: InitInfo;
  private moof?: Buffer;

  constructor(private readonly handlers: SplitterHandlers, private readonly maxBoxBytes = 64 * 1024 * 1024) {}

  push(chunk: Buffer): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    for (;;) {
      const box = this.nextBox();
      if (!box) return;
      this.onBox(box);
    }
  }

  private nextBox(): Buffer | undefined {
    if (this.pendingBytes < 8) return undefined;
    // Join chunks only as far as the header needs, and then only once the whole box is here:
    // a large mdat arriving in many chunks is copied once, not once per chunk.
    if (this.pending[0].length < 16 && this.pending.length > 1) this.pending = [Buffer.concat(this.pending)];
    const head = this.pending[0];
    let size = head.readUInt32BE(0);
    if (size === 1) {
      if (head.length < 16) return undefined;
      size = Number(head.readBigUInt64BE(8));
    }
    if (size < 8 || size > this.maxBoxBytes) throw new Error(`fMP4 stream is corrupt: box of ${size} bytes`);
    if (this.pendingBytes < size) return undefined;
    const buf = this.pending.length > 1 ? Buffer.concat(this.pending) : head;
    const box = buf.subarray(0, size);
    const rest = buf.subarray(size);
    this.pending = rest.length ? [rest] : [];
    this.pendingBytes = rest.length;
    return box;
  }

  private onBox(box: Buffer): void {
    const type = box.toString('latin1', 4, 8);
    if (type === 'ftyp') {
      this.initBoxes = [box];
      this.init = undefined;
    } else if (type === 'moov') {
      const bytes = Buffer.concat([...this.initBoxes, box]);
      this.init = parseInit(bytes);
      this.initBoxes = [];
      this.handlers.onInit(bytes, this.init);
    } else if (type === 'moof') {
      this.moof = box;
    } else if (type === 'mdat' && this.moof && this.init) {
      const bytes = Buffer.concat([this.moof, box]);
      this.moof = undefined;
      this.handlers.onFragment(this.describe(bytes, this.init));
    }
    // styp, sidx, mfra and anything else carry nothing a live playlist needs.
  }

  private describe(bytes: Buffer, init: InitInfo): Fragment {
    const moof = readBoxes(bytes)[0];
    const runs = parseMoof(bytes, moof, init);
    const main = init.video ?? init.tracks[0];
    const run = runs.find((r) => r.trackId === main?.id) ?? runs[0];
    const timescale = init.tracks.find((t) => t.id === run?.trackId)?.timescale ?? 1;
    return {
      bytes,
      start: run ? run.baseTime / timescale : 0,
      duration: run ? run.duration / timescale : 0,
      samples: run?.sampleCount ?? 0,
      independent: run ? run.startsWithKey && run.sampleCount > 0 : false,
    };
  }
}
