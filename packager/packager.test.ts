import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import pino from 'pino';
import { resolveFfmpegPath } from '../transcoder/ffmpeg-path';
import { Packager } from './packager';
import { parseInit } from './mp4-boxes';

/** Real ffmpeg output (the same fMP4 flags the transcoder uses), fed in odd-sized chunks. */
function makeFmp4(seconds: number, gop: number): Buffer {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lr-pkg-')), 'a.mp4');
  execFileSync(resolveFfmpegPath(), [
    '-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-t', String(seconds), '-c:v', 'libx264', '-preset', 'ultrafast', '-g', String(gop), '-keyint_min', String(gop), '-sc_threshold', '0',
    '-c:a', 'aac', '-b:a', '64k', '-f', 'mp4', '-movflags', 'frag_keyframe+empty_moov+default_base_moof', '-frag_duration', '150000', out,
  ]);
  return fs.readFileSync(out);
}

function feed(bytes: Buffer, stream: PassThrough) {
  let off = 0;
  let step = 7;
  while (off < bytes.length) {
    stream.write(bytes.subarray(off, off + step));
    off += step;
    step = (step * 31) % 9973 + 1;
  }
}

const HLS = { partTarget: 0.2, segmentTarget: 1, windowSegments: 20, blockingTimeoutTargets: 3, reconnectGraceMs: 15_000 };
const B1 = 'b0000001';
const B2 = 'b0000002';

describe('packager on real ffmpeg fMP4', () => {
  const log = pino({ level: 'silent' });
  const fmp4 = makeFmp4(6, 30);

  it('reads codecs and sizes from the init segment', () => {
    const info = parseInit(fmp4);
    expect(info.video?.codec).toMatch(/^avc1\.[0-9a-f]{6}$/);
    expect(info.audio?.codec).toBe('mp4a.40.2');
    expect(info.video?.width).toBe(320);
    expect(info.video?.height).toBe(180);
  });

  it('cuts keyframe-aligned segments from sub-target parts and writes LL-HLS tags', () => {
    const events: boolean[] = [];
    const p = new Packager({ ...HLS, windowSegments: 4 }, log, (_c, live) => events.push(live));
    const s = new PassThrough();
    p.attach({ channel: 'live', publishId: 'pub1', run: 'r1', rendition: 'source', stream: s, nominalBandwidth: 1_000_000 }, B1);
    feed(fmp4, s);
    const ch = p.channel('live')!;
    expect(events).toEqual([true]);
    const pl = ch.playlist(B1, 'source')!;
    // 6 s at 1 s GOP: 5 complete segments, window keeps 4, the sixth is in progress.
    expect(pl.segments.length).toBe(4);
    expect(pl.mediaSequence).toBe(1);
    for (const seg of pl.segments) {
      expect(seg.parts[0].independent).toBe(true);
      expect(seg.duration).toBeCloseTo(1, 2);
      for (const part of seg.parts) expect(part.duration).toBeLessThanOrEqual(0.2 + 1e-9);
    }
    const text = ch.renderMedia(B1, 'source', false)!;
    expect(text).toContain('#EXT-X-TARGETDURATION:1');
    expect(text).toContain('#EXT-X-PART-INF:PART-TARGET=0.20000');
    expect(text).toMatch(/CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=6\.000,PART-HOLD-BACK=0\.600,HOLD-BACK=3\.000/);
    expect(text).toContain('#EXT-X-MEDIA-SEQUENCE:1');
    expect(text).toMatch(/#EXT-X-MAP:URI="init-[0-9a-f]+-0\.mp4"/);
    expect(text).toMatch(/#EXT-X-PROGRAM-DATE-TIME:\d{4}-\d\d-\d\dT/);
    // The sixth segment is in progress and as long as the ones before: its next part should open a segment, so no hint.
    expect(text).not.toContain('#EXT-X-PRELOAD-HINT');
    expect(text).not.toContain('#EXT-X-ENDLIST');
    // Parts of old segments are dropped from the listing (more than 3 target durations back).
    const firstListedPart = text.indexOf('#EXT-X-PART:');
    expect(text.indexOf('#EXTINF')).toBeLessThan(firstListedPart);

    ch.end();
    expect(events).toEqual([true, false]);
    expect(ch.renderMedia(B1, 'source', false)).toMatch(/#EXT-X-ENDLIST\n$/);
    expect(ch.renderMedia(B1, 'source', false)).not.toContain('PRELOAD-HINT');
  });

  it('continues the same playlist with a discontinuity and a new map when the publisher reconnects', () => {
    const p = new Packager(HLS, log, () => {});
    const a = new PassThrough();
    p.attach({ channel: 'live', publishId: 'pub1', run: 'r1', rendition: 'source', stream: a, nominalBandwidth: 1 }, B1);
    feed(fmp4, a);
    p.pause('live');
    const cp = p.channel('live')!;
    const paused = cp.renderMedia(B1, 'source', false)!;
    expect(cp.reconnecting).toBe(true);
    expect(paused).not.toContain('ENDLIST');
    expect(paused).toContain('PRELOAD-HINT'); // hls.js misreads a parts playlist that ends on a segment URI
    expect(paused).not.toMatch(/#EXT-X-PART:[^\n]*\n$/); // the segment in progress was closed
    const b = new PassThrough();
    p.attach({ channel: 'live', publishId: 'pub2', run: 'r2', rendition: 'source', stream: b, nominalBandwidth: 1 }, B1);
    feed(fmp4, b);
    const text = cp.renderMedia(B1, 'source', false)!;
    expect(cp.reconnecting).toBe(false);
    expect(text).not.toContain('ENDLIST');
    expect(text.match(/#EXT-X-DISCONTINUITY\n/g)).toHaveLength(1);
    expect(text.match(/#EXT-X-MAP/g)).toHaveLength(2);
    expect(text.startsWith(paused.slice(0, paused.indexOf('#EXT-X-RENDITION') > 0 ? paused.indexOf('#EXT-X-RENDITION') : paused.length).split('\n').slice(0, 8).join('\n'))).toBe(true);
    const msns = cp.playlist(B1, 'source')!.segments.map((s) => s.msn);
    expect(msns).toEqual(msns.map((_, i) => msns[0] + i)); // no gap, no repeat across the reconnect
  });

  it('starts new playlists under a new broadcast id and never changes the ended ones', () => {
    const p = new Packager(HLS, log, () => {});
    const a = new PassThrough();
    p.attach({ channel: 'live', publishId: 'pub1', run: 'r1', rendition: 'source', stream: a, nominalBandwidth: 1 }, B1);
    feed(fmp4, a);
    p.end('live');
    const cp = p.channel('live')!;
    const ended = cp.renderMedia(B1, 'source', false)!;
    expect(ended).toMatch(/#EXT-X-ENDLIST\n$/);
    const b = new PassThrough();
    p.attach({ channel: 'live', publishId: 'pub2', run: 'r2', rendition: 'source', stream: b, nominalBandwidth: 1 }, B2);
    feed(fmp4, b);
    expect(cp.renderMedia(B1, 'source', false)).toBe(ended);
    const fresh = cp.renderMedia(B2, 'source', false)!;
    expect(fresh).not.toContain('ENDLIST');
    expect(fresh).not.toMatch(/#EXT-X-DISCONTINUITY\n/);
    expect(cp.renderMultivariant()).toContain(`${B2}/source/index.m3u8`);
    expect(cp.hasBroadcast(B1)).toBe(true);
    expect(cp.hasBroadcast('b0000003')).toBe(false);
  });

  it('skips old segments in a delta update', () => {
    const p = new Packager(HLS, log, () => {});
    const s = new PassThrough();
    p.attach({ channel: 'live', publishId: 'pub1', run: 'r1', rendition: 'source', stream: s, nominalBandwidth: 1 }, B1);
    feed(makeFmp4(10, 30), s);
    const full = p.channel('live')!.renderMedia(B1, 'source', false)!;
    const delta = p.channel('live')!.renderMedia(B1, 'source', true)!;
    const skipped = Number(/#EXT-X-SKIP:SKIPPED-SEGMENTS=(\d+)/.exec(delta)![1]);
    expect(skipped).toBeGreaterThan(0);
    expect(full.match(/#EXTINF/g)!.length - delta.match(/#EXTINF/g)!.length).toBe(skipped);
    // What stays covers at least CAN-SKIP-UNTIL (6 s).
    const kept = [...delta.matchAll(/#EXTINF:([\d.]+)/g)].reduce((a, m) => a + Number(m[1]), 0);
    expect(kept).toBeGreaterThanOrEqual(5);
  });

  it('never skips the segment that opens with a discontinuity, so a delta update numbers timelines right', () => {
    const p = new Packager(HLS, log, () => {});
    const a = new PassThrough();
    p.attach({ channel: 'live', publishId: 'pub1', run: 'r1', rendition: 'source', stream: a, nominalBandwidth: 1 }, B1);
    feed(fmp4, a);
    p.pause('live');
    const b = new PassThrough();
    p.attach({ channel: 'live', publishId: 'pub2', run: 'r2', rendition: 'source', stream: b, nominalBandwidth: 1 }, B1);
    feed(makeFmp4(10, 30), b); // the reconnect's segment is now more than CAN-SKIP-UNTIL (6 s) from the end
    const cp = p.channel('live')!;
    const delta = cp.renderMedia(B1, 'source', true)!;
    const skipped = Number(/#EXT-X-SKIP:SKIPPED-SEGMENTS=(\d+)/.exec(delta)![1]);
    // Only the first publish's segments are skipped; the reconnect's tag and its map are in the update.
    expect(skipped).toBe(cp.playlist(B1, 'source')!.segments.findIndex((s) => s.discontinuity));
    expect(delta).toMatch(/#EXT-X-SKIP:SKIPPED-SEGMENTS=\d+\n#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI="init-[0-9a-f]+-1\.mp4"/);
    // Without the reconnect in the window it would skip more: what stays still covers CAN-SKIP-UNTIL.
    const kept = [...delta.matchAll(/#EXTINF:([\d.]+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
    expect(kept).toBeGreaterThan(6);
  });

  it('answers blocked waits when the part arrives, and times out otherwise', async () => {
    const p = new Packager(HLS, log, () => {});
    const s = new PassThrough();
    p.attach({ channel: 'live', publishId: 'pub1', run: 'r1', rendition: 'source', stream: s, nominalBandwidth: 1 }, B1);
    const half = fmp4.subarray(0, Math.floor(fmp4.length / 2));
    feed(half, s);
    const pl = p.channel('live')!.playlist(B1, 'source')!;
    const last = pl.lastSegment!;
    const waiting = pl.waitFor({ msn: last.msn + 1, part: 0 }, 5000);
    const timingOut = pl.waitFor({ msn: last.msn + 50, part: 0 }, 50);
    feed(fmp4.subarray(half.length), s);
    await expect(waiting).resolves.toBe(true);
    await expect(timingOut).resolves.toBe(false);
  });

  it('hands every completed init and segment to the media sink, whole, including those the window dropped', () => {
    const inits: { rendition: string; initId: number; bytes: Buffer; ladder: string[]; height: number; codecs: string[] }[] = [];
    const segs: { msn: number; bytes: Buffer; duration: number; programDateTime: number; broadcastId: string }[] = [];
    const p = new Packager({ ...HLS, windowSegments: 3 }, log, () => {}, { init: (e) => inits.push(e), segment: (e) => segs.push(e) });
    const s = new PassThrough();
    p.attach({ channel: 'live', publishId: 'pub1', run: 'r1', rendition: 'source', stream: s, nominalBandwidth: 1, ladder: ['source'] }, B1);
    feed(fmp4, s);
    const pl = p.channel('live')!.playlist(B1, 'source')!;
    expect(inits).toHaveLength(1);
    expect(inits[0]).toMatchObject({ rendition: 'source', initId: 0, ladder: ['source'], height: 180 });
    expect(inits[0].bytes.equals(pl.getInit(0)!)).toBe(true);
    expect(inits[0].codecs).toEqual([expect.stringMatching(/^avc1\./), 'mp4a.40.2']);
    expect(segs.map((x) => x.msn)).toEqual([0, 1, 2, 3, 4]);
    // The last three are still in the window: the sink got exactly the bytes served.
    for (const seg of pl.segments) expect(segs.find((x) => x.msn === seg.msn)!.bytes.equals(seg.bytes!)).toBe(true);
    p.end('live'); // the segment in progress completes
    expect(segs.map((x) => x.msn)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(segs.every((x) => x.broadcastId === B1 && x.duration > 0.9)).toBe(true);
    expect(segs.reduce((a, x) => a + x.duration, 0)).toBeCloseTo(6, 1);
  });
});
