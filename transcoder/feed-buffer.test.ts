/**
 * The bounded feed on real FLV bytes from the bundled ffmpeg (H.264 + AAC, 1 s GOPs).
 */
import { spawnSync } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { resolveFfmpegPath } from './ffmpeg-path';
import { FlvFeedBuffer } from './feed-buffer';

interface Tag {
  type: number;
  keyframe: boolean;
  sequenceHeader: boolean;
  timestamp: number;
}

/** Parses a whole FLV file strictly: header, then tags whose previous-tag-size matches. Throws on any broken framing. */
function parseFlv(buf: Buffer): Tag[] {
  if (buf.toString('latin1', 0, 3) !== 'FLV') throw new Error('no FLV header');
  let at = buf.readUInt32BE(5);
  if (buf.readUInt32BE(at) !== 0) throw new Error('PreviousTagSize0 is not 0');
  at += 4;
  const tags: Tag[] = [];
  while (at < buf.length) {
    const size = buf.readUIntBE(at + 1, 3);
    const timestamp = buf.readUIntBE(at + 4, 3) | (buf[at + 7] << 24);
    if (buf.readUInt32BE(at + 11 + size) !== 11 + size) throw new Error(`broken framing at byte ${at}`);
    const type = buf[at] & 0x1f;
    const b0 = buf[at + 11];
    tags.push({ type, timestamp, keyframe: type === 9 && b0 >> 4 === 1, sequenceHeader: (type === 9 || (type === 8 && b0 >> 4 === 10)) && buf[at + 12] === 0 });
    at += 11 + size + 4;
  }
  return tags;
}

/** 6 s of 640x360 30 fps H.264 (1 s GOP) + AAC as FLV. */
function makeFlv(): Buffer {
  const r = spawnSync(resolveFfmpegPath(), [
    '-hide_banner', '-loglevel', 'error',
    '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-t', '6', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '30', '-keyint_min', '30', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '64k',
    '-f', 'flv', 'pipe:1',
  ], { maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(r.stderr.toString());
  return r.stdout;
}

/** Splits into uneven chunks, so tags straddle chunk boundaries. */
function chunks(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0, n = 1; at < buf.length; n = (n * 7919) % 9973) {
    out.push(buf.subarray(at, at + 1 + (n % 5000)));
    at += 1 + (n % 5000);
  }
  return out;
}

async function drain(s: PassThrough): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

describe('FlvFeedBuffer', () => {
  const flv = makeFlv();
  const source = parseFlv(flv);

  it('passes every byte through unchanged while the reader keeps up', async () => {
    const input = new PassThrough();
    const feed = new FlvFeedBuffer(input, 256 * 1024);
    const out = drain(feed.output);
    for (const c of chunks(flv)) {
      input.write(c);
      await new Promise((r) => setImmediate(r));
    }
    input.end();
    expect((await out).equals(flv)).toBe(true);
    expect(feed.drops).toEqual({ videoFrames: 0, audioFrames: 0, episodes: 0 });
  });

  it('past the bound, drops whole tags up to a keyframe, counts them, and keeps the stream valid FLV that ffmpeg decodes', async () => {
    const bound = 200 * 1024;
    const input = new PassThrough();
    const feed = new FlvFeedBuffer(input, bound);
    let peak = 0;
    // Nobody reads while the first half arrives (ffmpeg stalled), then the reader takes everything.
    const all = chunks(flv);
    const half = Math.floor(all.length / 2);
    for (const c of all.slice(0, half)) {
      input.write(c);
      peak = Math.max(peak, feed.buffered);
    }
    expect(peak).toBeLessThanOrEqual(bound + 64 * 1024); // the bound, plus at most the tag that crossed it
    const out = drain(feed.output);
    for (const c of all.slice(half)) input.write(c);
    input.end();
    const bytes = await out;

    const tags = parseFlv(bytes); // throws on broken framing
    const dropped = source.length - tags.length;
    expect(feed.drops.episodes).toBeGreaterThanOrEqual(1);
    expect(feed.drops.videoFrames).toBeGreaterThan(0);
    expect(feed.drops.videoFrames + feed.drops.audioFrames).toBe(dropped);
    expect(tags.filter((t) => t.sequenceHeader).length).toBe(source.filter((t) => t.sequenceHeader).length);
    // Every gap in the video resumes on a keyframe.
    const video = tags.filter((t) => t.type === 9 && !t.sequenceHeader);
    const sourceVideo = source.filter((t) => t.type === 9 && !t.sequenceHeader);
    const index = new Map(sourceVideo.map((t, i) => [t.timestamp, i]));
    for (let i = 1; i < video.length; i++) {
      if (index.get(video[i].timestamp)! !== index.get(video[i - 1].timestamp)! + 1) expect(video[i].keyframe).toBe(true);
    }
    // ffmpeg reads what we pass on without a decoding error.
    const decode = spawnSync(resolveFfmpegPath(), ['-hide_banner', '-v', 'error', '-f', 'flv', '-i', 'pipe:0', '-f', 'null', '-'], { input: bytes });
    expect(decode.status).toBe(0);
    expect(decode.stderr.toString()).toBe('');
  });
});
