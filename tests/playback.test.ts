/// <reference lib="dom" />
/**
 * A viewer's whole path: a real RTMP publisher, the real server, and hls.js
 * in headless Chromium playing Low-Latency HLS from the watch page.
 */
import type { Browser } from 'playwright-core';
import { launchBrowser } from './helpers/browser';
import { publish, startLiveroom, STREAM_KEY, until, type Harness, type Publisher } from './helpers/liveroom-harness';

jest.setTimeout(180_000);

type PageState = { state: string; time: number; level: number; levels: number; latency: number | null; fatal: string | null };

describe('playback in Chromium with hls.js', () => {
  let h: Harness;
  let pub: Publisher | undefined;
  let browser: Browser;

  beforeAll(async () => {
    h = await startLiveroom();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await pub?.stop();
    await h?.stop();
  });

  it('starts by itself when the stream goes live, plays, switches quality, and survives the publisher leaving and returning', async () => {
    const page = await browser.newPage();
    const fatal: string[] = [];
    page.on('pageerror', (e) => fatal.push(e.message));
    await page.goto(`${h.base}/watch/live`);
    await page.waitForFunction(() => document.body.dataset.state === 'offline', null, { timeout: 15_000 });
    await page.screenshot({ path: '/tmp/liveroom-offline.png' });

    pub = publish(`${h.rtmp}/${STREAM_KEY}`);
    const read = () =>
      page.evaluate((): PageState => {
        const lr = (window as any).__liveroom;
        const hls = lr?.hls;
        return {
          state: document.body.dataset.state ?? '',
          time: lr?.video?.currentTime ?? 0,
          level: hls ? hls.currentLevel : -2,
          levels: hls ? hls.levels.length : 0,
          latency: hls && Number.isFinite(hls.latency) ? hls.latency : null,
          fatal: (window as any).__lastFatal ?? null,
        };
      });
    await page.waitForFunction(() => document.body.dataset.state === 'playing', null, { timeout: 40_000 });
    const t0 = (await read()).time;
    await until(async () => (await read()).time > t0 + 2, 20_000, 'currentTime to advance 2 s');
    const s = await read();
    expect(s.levels).toBe(2);
    expect(s.latency).not.toBeNull();
    await page.screenshot({ path: '/tmp/liveroom-playing.png' });

    // Pick the other rendition and keep playing.
    const target = s.level === 0 ? 1 : 0;
    await page.evaluate((i) => ((window as any).__liveroom.hls.currentLevel = i), target);
    await until(async () => (await read()).level === target, 20_000, 'level switch');
    const t1 = (await read()).time;
    await until(async () => (await read()).time > t1 + 1.5, 20_000, 'playback after the switch');

    // Publisher gone: the page goes offline. Back: it starts again without a reload.
    await pub.stop();
    await page.waitForFunction(() => document.body.dataset.state === 'offline', null, { timeout: 30_000 });
    pub = publish(`${h.rtmp}/${STREAM_KEY}`);
    await page.waitForFunction(() => document.body.dataset.state === 'playing', null, { timeout: 40_000 });
    const t2 = (await read()).time;
    await until(async () => (await read()).time > t2 + 1.5, 20_000, 'playback after the publisher returned');
    expect(fatal).toEqual([]);
    await page.close();
  });
});
