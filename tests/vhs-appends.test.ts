/**
 * What stock video.js (VHS) hands Chromium's SourceBuffer from our LL-HLS on a
 * real publish, over fresh joins: its first media append must open on a
 * keyframe, and it must never put the init segment in front of a part that
 * does not (after an init segment MSE wants a keyframe and drops every frame
 * up to the next one). Both happened on every join or two with
 * PART-HOLD-BACK at 3 part targets and EXT-X-INDEPENDENT-SEGMENTS: VHS's live
 * point fell in the third part of the segment in progress, it appended from
 * there, and the picture froze 0.7 s, sometimes 3 s more (packager/playlist-writer.ts,
 * PART_HOLD_BACK_TARGETS).
 */
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { readBoxes, parseInit, parseMoof, type InitInfo } from '../packager/mp4-boxes';
import { PlayerPages } from '../scripts/bench/player-pages';
import { launchBrowser } from './helpers/browser';
import { publish, startLiveroom, STREAM_KEY, until, type Harness, type Publisher } from './helpers/liveroom-harness';

jest.setTimeout(120_000);

/** Installed in the page: the first 4 KiB of every appendBuffer, base64 (an init segment and a part's moof fit). */
const APPEND_LOG = `
window.__appends = [];
const append = SourceBuffer.prototype.appendBuffer;
SourceBuffer.prototype.appendBuffer = function (data) {
  const u8 = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  let s = '';
  for (const b of u8.subarray(0, 4096)) s += String.fromCharCode(b);
  window.__appends.push(btoa(s));
  return append.call(this, data);
};
`;

interface MediaAppend { withInit: boolean; key: boolean }

/** Each append that carries a part: whether an init segment came in the same append, and whether the part opens on a keyframe. */
function mediaAppends(heads: string[]): MediaAppend[] {
  let init: InitInfo | undefined;
  const out: MediaAppend[] = [];
  for (const head of heads) {
    const buf = Buffer.from(head, 'base64');
    const boxes = readBoxes(buf);
    const withInit = boxes.some((b) => b.type === 'moov');
    if (withInit) init = parseInit(buf);
    const moof = boxes.find((b) => b.type === 'moof');
    if (!moof || !init) continue;
    const video = parseMoof(buf, moof, init).find((r) => r.trackId === init!.video?.id);
    if (video) out.push({ withInit, key: video.startsWithKey });
  }
  return out;
}

describe('stock video.js (VHS) on our LL-HLS', () => {
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

  it.each([1, 2, 3, 4])('join %i: starts on a keyframe part and never re-appends the init segment before a part without one', async (join) => {
    // Anywhere in the part cycle: VHS's live point depends on how much of the segment in progress is listed.
    await new Promise((r) => setTimeout(r, join * 170));
    const page = await browser.newPage();
    try {
      await page.addInitScript(APPEND_LOG);
      await page.goto(pages.url('vjs', `${h.base}/hls/live/master.m3u8`));
      const time = async () => Number(await page.evaluate('window.__liveroom.video ? window.__liveroom.video.currentTime : 0'));
      await until(async () => (await time()) > 0, 30_000, 'VHS to start');
      const startedAt = await time();
      // Three seconds of media: three segment boundaries, some 18 parts.
      await until(async () => (await time()) > startedAt + 3, 30_000, 'VHS to play 3 s');

      const media = mediaAppends((await page.evaluate('window.__appends')) as string[]);
      expect(media.length).toBeGreaterThan(10);
      expect(media[0]).toEqual({ withInit: true, key: true });
      const initBeforeNonKey = media.map((m, i) => (m.withInit && !m.key ? i : -1)).filter((i) => i >= 0);
      expect({ initBeforeNonKeyframePart: initBeforeNonKey }).toEqual({ initBeforeNonKeyframePart: [] });
    } finally {
      await page.close();
    }
  });
});
