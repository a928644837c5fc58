/// <reference lib="dom" />
/**
 * A three-rendition profile reaches the viewer: hls.js in headless Chromium
 * sees every rendition of the ladder and switches between all of them while
 * playing (renditions share keyframes and segment boundaries).
 */
import type { Browser } from 'playwright-core';
import { launchBrowser } from './helpers/browser';
import { publish, startLiveroom, STREAM_KEY, until, type Harness, type Publisher } from './helpers/liveroom-harness';

jest.setTimeout(150_000);

type Levels = { level: number; heights: number[]; time: number; state: string };

describe('a three-rendition ladder in hls.js', () => {
  let h: Harness;
  let pub: Publisher | undefined;
  let browser: Browser;

  beforeAll(async () => {
    h = await startLiveroom();
    await h.room.profiles!.create({
      name: 'three',
      renditions: [
        { name: 'source', copy: true },
        { name: '360p', height: 360, videoKbps: 700, maxFps: 30, preset: 'superfast' },
        { name: '240p', height: 240, videoKbps: 300, maxFps: 30, preset: 'superfast' },
      ],
    });
    await h.room.profiles!.assign('live', 'three');
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await pub?.stop();
    await h?.stop();
  });

  it('lists all three renditions and switches to each one while playing', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${h.base}/watch/live`);
    pub = publish(`${h.rtmp}/${STREAM_KEY}`, { size: '854x480' });
    await page.waitForFunction(() => document.body.dataset.state === 'playing', null, { timeout: 40_000 });
    const read = () =>
      page.evaluate((): Levels => {
        const lr = (window as any).__liveroom;
        return {
          level: lr.hls.currentLevel,
          heights: lr.hls.levels.map((l: { height: number }) => l.height),
          time: lr.video.currentTime,
          state: document.body.dataset.state ?? '',
        };
      });
    const first = await read();
    expect([...first.heights].sort((a, b) => a - b)).toEqual([240, 360, 480]);

    // Every rendition in turn, ending on a different one from the start: playback goes on after each switch.
    const order = [0, 1, 2].filter((i) => i !== first.level).concat(first.level >= 0 ? [first.level] : []);
    for (const target of order) {
      await page.evaluate((i) => ((window as any).__liveroom.hls.currentLevel = i), target);
      await until(async () => (await read()).level === target, 20_000, `switch to level ${target}`);
      const t = (await read()).time;
      await until(async () => (await read()).time > t + 1, 20_000, `playback on level ${target}`);
    }
    expect((await read()).state).toBe('playing');
    expect(errors).toEqual([]);
    await page.close();
  });
});
