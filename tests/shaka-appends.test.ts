/**
 * What stock Shaka Player (streaming.lowLatencyMode) hands Chromium's
 * SourceBuffer from our LL-HLS, part by part, on a real publish: every part once,
 * and never an abort() in front of a part that does not open on a keyframe
 * (after abort() MSE drops every frame up to the next keyframe: Shaka then
 * plays 5 frames a second). Two things of ours led it there (issue 12): a
 * preload hint for a part that then opened a new segment (Shaka fetched and
 * appended that keyframe part twice), and part durations that put Shaka's
 * timestamp-offset check on the edge of its 1 ms threshold (shaka-player#10559).
 */
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { readBoxes, parseInit, parseMoof, type InitInfo } from '../packager/mp4-boxes';
import { PlayerPages } from '../scripts/bench/player-pages';
import { launchBrowser } from './helpers/browser';
import { publish, startLiveroom, STREAM_KEY, until, type Harness, type Publisher } from './helpers/liveroom-harness';

jest.setTimeout(120_000);

/** Installed in the page: every appendBuffer (its first 4 KiB, base64) and whether abort() came since the last one. */
const APPEND_LOG = `
window.__appends = [];
let abortedSince = false;
const SB = SourceBuffer.prototype;
const append = SB.appendBuffer;
SB.appendBuffer = function (data) {
  const u8 = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  let s = '';
  for (const b of u8.subarray(0, 4096)) s += String.fromCharCode(b);
  window.__appends.push({ head: btoa(s), bytes: u8.byteLength, afterAbort: abortedSince });
  abortedSince = false;
  return append.call(this, data);
};
const abort = SB.abort;
SB.abort = function () { abortedSince = true; return abort.call(this); };
`;

interface Append { head: string; bytes: number; afterAbort: boolean }
interface MediaAppend { videoStart: number; key: boolean; afterAbort: boolean }

/** Each media append's video start (tfdt, in its timescale) and whether it opens on a keyframe. */
function mediaAppends(appends: Append[]): MediaAppend[] {
  let init: InitInfo | undefined;
  const out: MediaAppend[] = [];
  for (const a of appends) {
    const buf = Buffer.from(a.head, 'base64');
    const boxes = readBoxes(buf);
    if (boxes.some((b) => b.type === 'moov')) {
      init = parseInit(buf);
      continue;
    }
    const moof = boxes.find((b) => b.type === 'moof');
    if (!moof || !init) continue;
    const video = parseMoof(buf, moof, init).find((r) => r.trackId === init!.video?.id);
    if (video) out.push({ videoStart: video.baseTime, key: video.startsWithKey, afterAbort: a.afterAbort });
  }
  return out;
}

describe('stock Shaka Player on our LL-HLS', () => {
  let h: Harness;
  let pub: Publisher | undefined;
  let pages: PlayerPages;
  let browser: Browser;

  beforeAll(async () => {
    h = await startLiveroom({ transcoder: { defaultProfile: 'passthrough' } });
    pub = publish(`${h.rtmp}/${STREAM_KEY}`);
    await until(async () => (await fetch(`${h.base}/hls/live/master.m3u8`)).status === 200, 30_000, 'the channel to go live');
    pages = new PlayerPages(path.resolve(__dirname, '..'));
    await pages.start();
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await pages?.stop();
    await pub?.stop();
    await h?.stop();
  });

  it.each([1, 2, 3])('join %i: appends every part once, and aborts only before keyframes', async () => {
    const page = await browser.newPage();
    try {
      await page.addInitScript(APPEND_LOG);
      await page.goto(pages.url('shaka', `${h.base}/hls/live/master.m3u8`));
      // Eight seconds of media past the first frame: eight segments, some 45 parts.
      await until(async () => Number(await page.evaluate('window.__liveroom.video.currentTime')) > 0, 30_000, 'Shaka to start');
      const startedAt = Number(await page.evaluate('window.__liveroom.video.currentTime'));
      await until(async () => Number(await page.evaluate('window.__liveroom.video.currentTime')) > startedAt + 8, 40_000, 'Shaka to play 8 s');

      const media = mediaAppends((await page.evaluate('window.__appends')) as Append[]);
      expect(media.length).toBeGreaterThan(30);
      expect(media.filter((m) => m.key).length).toBeGreaterThan(5);
      const seen = new Set<number>();
      const twice = media.filter((m) => seen.has(m.videoStart) || !seen.add(m.videoStart)).map((m) => m.videoStart);
      expect({ appendedTwice: twice }).toEqual({ appendedTwice: [] });
      const abortedMidGop = media.filter((m) => m.afterAbort && !m.key).map((m) => m.videoStart);
      expect({ abortedBeforeNonKeyframePart: abortedMidGop }).toEqual({ abortedBeforeNonKeyframePart: [] });
    } finally {
      await page.close();
    }
  });
});
