import { PassThrough, type Readable } from 'node:stream';

const FLV_HEADER_MIN = 9;
const TAG_HEADER = 11;
const PREV_TAG_SIZE = 4;
const AUDIO = 8;
const VIDEO = 9;

export interface FeedDrops {
  /** Video tags (frames) dropped because ffmpeg fell behind. */
  videoFrames: number;
  audioFrames: number;
  /** Times the buffer hit its bound and a run of frames up to the next keyframe was dropped. */
  episodes: number;
}

/**
 * Puts a bound on the FLV bytes waiting for ffmpeg. The publisher's feed is
 * read as it comes (so nothing piles up upstream); whole FLV tags are passed on.
 * When ffmpeg runs slower than real time and more than `maxBytes` wait, audio
 * and video tags are dropped until the next video keyframe that finds the
 * buffer below half the bound, so ffmpeg sees a clean cut (a gap, never a
 * broken GOP). Sequence headers and metadata are never dropped; tag framing
 * (11-byte header, payload, 4-byte previous-tag-size) stays intact.
 */
export class FlvFeedBuffer {
  readonly output = new PassThrough({ highWaterMark: 256 * 1024 });
  readonly drops: FeedDrops = { videoFrames: 0, audioFrames: 0, episodes: 0 };
  private carry: Buffer = Buffer.alloc(0);
  private headerDone = false;
  private dropping = false;
  private sawVideo = false;

  constructor(input: Readable, private readonly maxBytes: number) {
    input.on('data', (chunk: Buffer) => this.push(chunk));
    const end = () => {
      if (!this.output.writableEnded) this.output.end();
    };
    input.once('end', end);
    input.once('close', end);
    input.on('error', end);
  }

  /** Bytes written but not yet taken by ffmpeg. */
  get buffered(): number {
    return this.output.writableLength + this.output.readableLength;
  }

  private push(chunk: Buffer) {
    if (this.output.writableEnded) return;
    const buf = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    let at = 0;
    if (!this.headerDone) {
      if (buf.length < FLV_HEADER_MIN) return void (this.carry = buf);
      const headerEnd = buf.readUInt32BE(5) + PREV_TAG_SIZE; // DataOffset, then PreviousTagSize0
      if (buf.length < headerEnd) return void (this.carry = buf);
      this.output.write(buf.subarray(0, headerEnd));
      this.headerDone = true;
      at = headerEnd;
    }
    while (buf.length - at >= TAG_HEADER) {
      const size = TAG_HEADER + buf.readUIntBE(at + 1, 3) + PREV_TAG_SIZE;
      if (buf.length - at < size) break;
      const tag = buf.subarray(at, at + size);
      at += size;
      if (this.keep(tag)) this.output.write(tag);
    }
    this.carry = at < buf.length ? Buffer.from(buf.subarray(at)) : Buffer.alloc(0);
  }

  private keep(tag: Buffer): boolean {
    const type = tag[0] & 0x1f;
    if (type !== AUDIO && type !== VIDEO) return true; // script data (onMetaData): tiny, and ffmpeg wants it
    const first = tag[TAG_HEADER];
    if (type === VIDEO) this.sawVideo = true;
    if (isSequenceHeader(type, tag)) return true;
    const over = this.buffered + tag.length > this.maxBytes;
    if (!this.dropping && over) {
      this.dropping = true;
      this.drops.episodes++;
    }
    if (this.dropping) {
      // Enhanced RTMP keeps the frame type in bits 4-6 (bit 7 flags the extended header); 1 = keyframe.
      const resumes = (type === VIDEO && ((first >> 4) & 0x07) === 1) || (type === AUDIO && !this.sawVideo);
      if (resumes && this.buffered <= this.maxBytes / 2) {
        this.dropping = false;
        return true;
      }
      if (type === VIDEO) this.drops.videoFrames++;
      else this.drops.audioFrames++;
      return false;
    }
    return true;
  }
}

/** AVC/HEVC decoder configuration or AAC AudioSpecificConfig: without them nothing after decodes. */
function isSequenceHeader(type: number, tag: Buffer): boolean {
  const first = tag[TAG_HEADER];
  const second = tag[TAG_HEADER + 1];
  if (type === AUDIO) return first >> 4 === 10 && second === 0; // AAC, AACPacketType 0
  if (first & 0x80) return (first & 0x0f) === 0; // enhanced RTMP: PacketType SequenceStart
  const codec = first & 0x0f;
  return (codec === 7 || codec === 12) && second === 0; // AVCPacketType 0
}
