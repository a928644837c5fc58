/**
 * LL-HLS through a caching edge: Debian's nginx running deploy/nginx-edge.conf
 * (only its cache folder, port and origin changed) in front of the server, with
 * two stock hls.js players (lowLatencyMode only) in headless Chromium playing
 * through it. Both play; each part and each blocking reload reaches the origin
 * about once however many players ask; the origin's cache headers pass through.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { edgeConfig, edgeLogStats, startNginx, type Nginx } from '../scripts/bench/nginx-process';
import { PlayerPages } from '../scripts/bench/player-pages';
import { launchBrowser } from './helpers/browser';
import { publish, renditionUrl, startLiveroom, STREAM_KEY, until, type Harness, type Publisher } from './helpers/liveroom-harness';

jest.setTimeout(180_000);

const ROOT = path.resolve(__dirname, '..');

describe('LL-HLS through an nginx caching edge', () => {
  let h: Harness;
  let pub: Publisher;
  let edge: Nginx;
  let dir: string;
  let accessLog: string;
  let browser: Browser | undefined;
  let pages: PlayerPages | undefined;

  beforeAll(async () => {
    h = await startLiveroom({ transcoder: { defaultProfile: 'passthrough' } });
    pub = publish(`${h.rtmp}/${STREAM_KEY}`);
    await until(() => renditionUrl(h.base, 'source'), 30_000, 'the channel to go live');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-edge-'));
    accessLog = path.join(dir, 'access.log');
    edge = await startNginx(edgeConfig(ROOT, h.base, path.join(dir, 'cache'), accessLog));
  });

  afterAll(async () => {
    await browser?.close();
    await pages?.stop();
    await edge?.stop();
    await pub?.stop();
    await h?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('passes the origin\'s cache headers through and serves a part from its cache the second time', async () => {
    const url = await renditionUrl(edge.url, 'source');
    const first = await fetch(url);
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('public, max-age=1');
    const text = await first.text();
    const part = /URI="(part-[^"]+)"/.exec(text)![1];
    const partUrl = new URL(part, url).href;
    const a = await fetch(partUrl);
    await a.arrayBuffer();
    const b = await fetch(partUrl);
    const bytes = Buffer.from(await b.arrayBuffer());
    expect(b.headers.get('cache-control')).toMatch(/immutable/);
    expect(b.headers.get('x-cache-status')).toBe('HIT');
    expect(bytes.toString('latin1', 4, 8)).toBe('moof');
    const master = await fetch(`${edge.url}/hls/live/master.m3u8`);
    expect(master.headers.get('cache-control')).toBe('no-cache');
    expect(master.headers.get('x-cache-status')).not.toBe('HIT');
  });

  it('two stock hls.js players play through it, and the origin sees each part and blocking reload about once', async () => {
    pages = new PlayerPages(ROOT);
    await pages.start();
    browser = await launchBrowser();
    const players: Page[] = [];
    const errors: string[] = [];
    fs.writeFileSync(accessLog, ''); // count from here
    for (let i = 0; i < 2; i++) {
      const page = await browser.newPage();
      page.on('console', (m) => m.type() === 'error' && /fatal/i.test(m.text()) && errors.push(m.text()));
      await page.goto(pages.url('hlsjs', `${edge.url}/hls/live/master.m3u8`));
      players.push(page);
    }
    for (const page of players) {
      await until(async () => Number(await page.evaluate('window.__liveroom.video.currentTime')) > 8, 60_000, 'a player to play 8 s through the edge');
    }
    expect(errors).toEqual([]);
    const stats = edgeLogStats(accessLog);
    expect(stats.parts).toBeGreaterThan(20);
    expect(stats.blocking).toBeGreaterThan(20);
    // Without the cache lock every player's request would reach the origin (2 per part here).
    expect(stats.partOriginRequests / stats.parts).toBeLessThanOrEqual(1.3);
    expect(stats.blockingOriginRequests / stats.blocking).toBeLessThanOrEqual(1.3);
    process.stdout.write(`edge: ${stats.parts} parts, ${(stats.partOriginRequests / stats.parts).toFixed(2)} origin requests each; ${stats.blocking} blocking reloads, ${(stats.blockingOriginRequests / stats.blocking).toFixed(2)} each\n`);
  });
});
