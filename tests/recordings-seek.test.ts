/// <reference lib="dom" />
/**
 * Seeking in a replay lands on the right picture: a publisher stamps each
 * frame with its capture time (scripts/bench/stamp-publisher.ts, the latency
 * bench's), the server records the broadcast, and in headless Chromium the
 * replay page (hls.js, VOD) is sought to the middle. The stamp read back off
 * the frame shown there is the first frame's plus the distance sought, and
 * within a segment of the moment the VOD playlist's PROGRAM-DATE-TIME gives for
 * the middle. The thumbnail carries the same middle frame's stamp.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import type { ReplayList } from '../recordings/replay-types';
import { StampPublisher } from '../scripts/bench/stamp-publisher';
import { decodeStamp } from '../scripts/bench/stamp-reader';
import { STAMP_LAYOUT } from '../scripts/bench/stamp-layout';
import { resolveFfmpegPath } from '../transcoder/ffmpeg-path';
import { launchBrowser } from './helpers/browser';
import { jpegInfo } from './helpers/jpeg-info';
import { getText, startLiveroom, STREAM_KEY, until, type Harness } from './helpers/liveroom-harness';
import { parseMedia } from './helpers/m3u8';

jest.setTimeout(180_000);

const PUBLISH_SECONDS = 14;
/** Rows of the picture that hold the stamp, in published pixels (stamp-layout.ts: two rows of blocks below a margin). */
const BAND = STAMP_LAYOUT.y0 * 2 + STAMP_LAYOUT.rows * STAMP_LAYOUT.block;

/** Pauses the video, seeks to `t` and reads the stamp off the frame shown there, in the page. */
async function seekAndRead(page: Page, t: number): Promise<{ time: number; stamp: number | string }> {
  return page.evaluate(`(async () => {
    const decode = ${decodeStamp.toString()};
    const layout = ${JSON.stringify(STAMP_LAYOUT)};
    const v = window.__liveroomReplay.video;
    v.pause();
    const presented = new Promise((r) => { v.requestVideoFrameCallback(() => r()); setTimeout(r, 2000); });
    await new Promise((r) => { v.addEventListener('seeked', r, { once: true }); v.currentTime = ${t}; });
    await presented;
    const c = document.createElement('canvas');
    c.width = v.videoWidth;
    c.height = v.videoHeight;
    const ctx = c.getContext('2d', { willReadFrequently: true });
    ctx.drawImage(v, 0, 0);
    const band = Math.min(c.height, Math.ceil(${BAND} * c.height / layout.frameHeight));
    const px = ctx.getImageData(0, 0, c.width, band).data;
    return { time: v.currentTime, stamp: decode(px, c.width, c.height, band, layout) };
  })()`);
}

/** The stamp on a JPEG, decoded to RGBA by ffmpeg. */
function jpegStamp(jpeg: Buffer): number | string {
  const { width, height } = jpegInfo(jpeg);
  const r = spawnSync(resolveFfmpegPath(), ['-hide_banner', '-loglevel', 'error', '-f', 'image2pipe', '-i', 'pipe:0', '-f', 'rawvideo', '-pix_fmt', 'rgba', 'pipe:1'], { input: jpeg, maxBuffer: 16 << 20 });
  if (r.status !== 0) throw new Error(`ffmpeg could not decode the thumbnail: ${r.stderr.toString()}`);
  const band = Math.ceil((BAND * height) / STAMP_LAYOUT.frameHeight);
  return decodeStamp(r.stdout.subarray(0, width * band * 4), width, height, band, STAMP_LAYOUT);
}

describe('recordings: seeking', () => {
  let h: Harness;
  let pub: StampPublisher | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    h = await startLiveroom({ transcoder: { defaultProfile: 'passthrough' } });
  });
  afterAll(async () => {
    await browser?.close();
    await pub?.stop();
    await h?.stop();
  });

  it('shows the frame stamped at the middle after seeking to the middle, and the thumbnail is that frame', async () => {
    pub = new StampPublisher({ ffmpegPath: resolveFfmpegPath(), rtmpUrl: `${h.rtmp}/${STREAM_KEY}` });
    pub.start();
    await new Promise((r) => setTimeout(r, PUBLISH_SECONDS * 1000));
    await pub.stop();
    pub = undefined;

    const rec = await until(async () => {
      const l = (await (await fetch(`${h.base}/api/channels/live/replays`)).json()) as ReplayList;
      return l.replays[0]?.endedAt && l.replays[0].thumbnail ? l.replays[0] : undefined;
    }, 30_000, 'the recording to be finished with its thumbnail');
    const vod = parseMedia((await getText(`${h.base}/vod/live/${rec.id}/source/index.m3u8`)).text);
    const total = vod.segments.reduce((a, s) => a + s.duration, 0);
    const longest = Math.max(...vod.segments.map((s) => s.duration));
    const middle = total / 2;
    // The wall-clock moment of the middle, from the playlist: its segment's PROGRAM-DATE-TIME plus the way into it.
    let start = 0;
    const seg = vod.segments.find((s) => (start += s.duration) > middle)!;
    const expected = Date.parse(seg.pdt!) + (middle - (start - seg.duration)) * 1000;

    browser = await launchBrowser();
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${h.base}/watch/live/replays/${rec.id}`);
    await page.waitForFunction(() => document.body.dataset.state === 'playing', null, { timeout: 30_000 });

    const first = await seekAndRead(page, 0);
    const mid = await seekAndRead(page, middle);
    expect(typeof first.stamp).toBe('number');
    expect(typeof mid.stamp).toBe('number');
    const firstStamp = first.stamp as number;
    const midStamp = mid.stamp as number;
    // At the middle, and the picture there is the one captured that much later than the first (within 3 frames at 30 fps).
    expect(Math.abs(mid.time - middle)).toBeLessThan(0.1);
    expect(midStamp).not.toBe(firstStamp);
    expect(Math.abs(midStamp - firstStamp - (mid.time - first.time) * 1000)).toBeLessThan(100);
    // And the playlist's clock agrees within a segment (PROGRAM-DATE-TIME is taken at ingest, the stamp at capture).
    expect(Math.abs(midStamp - expected)).toBeLessThan(longest * 1000);

    // The thumbnail is the middle frame too.
    const thumb = Buffer.from(await (await fetch(`${h.base}${rec.thumbnail}`)).arrayBuffer());
    const thumbStamp = jpegStamp(thumb);
    expect(typeof thumbStamp).toBe('number');
    expect(Math.abs((thumbStamp as number) - midStamp)).toBeLessThan(100);
    expect(errors).toEqual([]);
  });
});
