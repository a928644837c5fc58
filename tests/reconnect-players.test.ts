/**
 * A publisher's reconnect as stock players see it: hls.js (lowLatencyMode only),
 * Shaka Player (streaming.lowLatencyMode) and video.js (VHS), each embedded on a
 * page of another origin, in headless Chromium, on the server's defaults (a 15 s
 * reconnect grace). The real ffmpeg publisher is killed, and after 2 s, then
 * 10 s, a new one publishes with the same key: every player must resume by
 * itself, without a page reload and without a fatal error. The frozen time each
 * saw is printed.
 */
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { PlayerPages, type ThirdPartyPlayer } from '../scripts/bench/player-pages';
import { launchBrowser } from './helpers/browser';
import { publish, startLiveroom, STREAM_KEY, until, type Harness, type Publisher } from './helpers/liveroom-harness';

jest.setTimeout(240_000);

const PLAYERS: ThirdPartyPlayer[] = ['hlsjs', 'shaka', 'vjs'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Installed in each page: samples the video's clock every 100 ms and records fatal errors and reloads. */
const RECORDER = `
window.__rec = { loadedAt: performance.timeOrigin, samples: [], errors: [] };
setInterval(() => {
  const v = window.__liveroom && window.__liveroom.video;
  if (v) window.__rec.samples.push([Date.now(), v.currentTime]);
}, 100);
window.addEventListener('error', (e) => window.__rec.errors.push(String(e.message)));
`;

interface Sample { t: number; ct: number }

async function samples(page: Page): Promise<Sample[]> {
  const raw = (await page.evaluate('window.__rec.samples')) as [number, number][];
  return raw.map(([t, ct]) => ({ t, ct }));
}

/** The longest wall-clock stretch after `from` in which the video's clock did not move, in ms. */
function longestFreeze(s: Sample[], from: number): number {
  let longest = 0;
  let since: number | undefined;
  for (let i = 1; i < s.length; i++) {
    if (s[i].t < from) continue;
    if (s[i].ct <= s[i - 1].ct + 1e-3) {
      since ??= s[i - 1].t;
      longest = Math.max(longest, s[i].t - since);
    } else since = undefined;
  }
  return longest;
}

describe('stock players survive a publisher reconnect', () => {
  let h: Harness;
  let browser: Browser;
  let pagesServer: PlayerPages;
  let pub: Publisher | undefined;
  const pages = new Map<ThirdPartyPlayer, Page>();
  const fatal = new Map<ThirdPartyPlayer, string[]>();

  beforeAll(async () => {
    h = await startLiveroom({ transcoder: { defaultProfile: 'passthrough' }, hls: { reconnectGraceMs: 15_000 } });
    pub = publish(`${h.rtmp}/${STREAM_KEY}`);
    await until(async () => (await fetch(`${h.base}/hls/live/master.m3u8`)).status === 200, 30_000, 'the channel to go live');
    pagesServer = new PlayerPages(path.resolve(__dirname, '..'));
    await pagesServer.start();
    browser = await launchBrowser();
    for (const player of PLAYERS) {
      const page = await browser.newPage();
      fatal.set(player, []);
      page.on('console', (m) => {
        // hls.js logs fatal errors as such; Shaka's page logs a rejected load; VHS reports through player.error().
        if (m.type() === 'error' && /fatal|shaka|VIDEOJS: ERROR/i.test(m.text())) fatal.get(player)!.push(m.text());
      });
      await page.addInitScript(RECORDER);
      await page.goto(pagesServer.url(player, `${h.base}/hls/live/master.m3u8`));
      pages.set(player, page);
    }
    for (const [player, page] of pages) {
      await until(async () => (await samples(page)).some((s) => s.ct > 2), 60_000, `${player} to play 2 s`);
    }
  });

  afterAll(async () => {
    await browser?.close();
    await pagesServer?.stop();
    await pub?.stop();
    await h?.stop();
  });

  it.each([2000, 10_000])('after a %i ms drop, each resumes by itself', async (dropMs) => {
    const before = new Map<ThirdPartyPlayer, { ct: number; loadedAt: number }>();
    for (const [player, page] of pages) {
      const s = await samples(page);
      before.set(player, { ct: s.at(-1)!.ct, loadedAt: await page.evaluate('window.__rec.loadedAt') });
    }
    const droppedAt = Date.now();
    await pub!.stop(); // the RTMP connection drops
    await sleep(dropMs);
    pub = publish(`${h.rtmp}/${STREAM_KEY}`);

    const report: string[] = [];
    for (const [player, page] of pages) {
      const was = before.get(player)!;
      // Resumed: its clock moved at least 3 s past where it was when the publisher dropped.
      await until(async () => (await samples(page)).at(-1)!.ct > was.ct + 3, 60_000, `${player} to resume after a ${dropMs} ms drop`);
      const s = await samples(page);
      const frozen = longestFreeze(s, droppedAt);
      report.push(`${player}: frozen ${(frozen / 1000).toFixed(1)} s`);
      // The same page, never reloaded; no fatal error reported.
      expect(await page.evaluate('window.__rec.loadedAt')).toBe(was.loadedAt);
      expect({ player, fatal: fatal.get(player) }).toEqual({ player, fatal: [] });
    }
    // What a viewer sees: the picture stops for about the drop plus the time to the new publisher's first segment.
    process.stdout.write(`reconnect after a ${dropMs} ms drop: ${report.join(', ')}\n`);
  });
});
