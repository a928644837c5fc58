/**
 * The watch page in a real Chromium against a fake liveroom server (express on
 * loopback): channel API, SSE state stream and HLS made by the real ffmpeg.
 * Needs the bundle: run `node scripts/build-player.mjs` (or `npm run build`) first.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import ffmpegInstaller from '@ffmpeg-installer/ffmpeg';
import express, { type Response } from 'express';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from './helpers/browser';

const DIST = path.resolve(__dirname, '..', 'dist', 'player');
const XSS_TITLE = '<img src=x onerror=window.__xss=1>';

interface Channel {
  name: string;
  title: string;
  live: boolean;
  since: number;
  renditions: Array<{ name: string; width: number; height: number; bandwidth: number }>;
}

const RENDITIONS = [
  { name: '720p', width: 1280, height: 720, bandwidth: 2_500_000 },
  { name: '360p', width: 640, height: 360, bandwidth: 800_000 },
];

/** Short fMP4 HLS from ffmpeg's test source; served as a live playlist (ENDLIST removed). */
async function makeHlsFixture(dir: string): Promise<void> {
  const ffmpeg = process.env.FFMPEG_PATH ?? ffmpegInstaller.path;
  await promisify(execFile)(ffmpeg, [
    '-hide_banner', '-loglevel', 'error',
    '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-t', '8', '-map', '0:v', '-map', '1:a',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p',
    '-g', '30', '-keyint_min', '30', '-sc_threshold', '0',
    '-c:a', 'aac', '-b:a', '64k',
    '-f', 'hls', '-hls_time', '1', '-hls_list_size', '0',
    '-hls_segment_type', 'fmp4', '-hls_fmp4_init_filename', 'init.mp4',
    '-hls_flags', 'program_date_time',
    '-hls_segment_filename', path.join(dir, 'seg%03d.m4s'),
    path.join(dir, 'index.m3u8'),
  ]);
}

/** Mimics the server contract the page relies on (see player/channel-api.ts). */
class FakeLiveroom {
  readonly hlsRequests: string[] = [];
  /** Channels whose HLS answers 404 although the API says live. */
  readonly brokenHls = new Set<string>();
  private readonly channels = new Map<string, Channel>();
  private readonly streams = new Map<string, Set<Response>>();
  private server: Server | null = null;

  constructor(
    private readonly fixtureDir: string,
    private readonly defaultChannel: string,
  ) {}

  get origin(): string {
    const { port } = this.server?.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  masterRequests(channel: string): number {
    return this.hlsRequests.filter((p) => p === `/hls/${channel}/master.m3u8`).length;
  }

  setChannel(channel: Channel): void {
    this.channels.set(channel.name, channel);
    for (const res of this.streams.get(channel.name) ?? []) this.send(res, channel);
  }

  async start(): Promise<void> {
    const app = express();
    const html = fs.readFileSync(path.join(DIST, 'watch.html'), 'utf8');
    app.use('/player', express.static(DIST));
    app.get('/watch/:channel', (_req, res) => {
      res.sendFile(path.join(DIST, 'watch.html'));
    });
    app.get('/', (_req, res) => {
      res.type('html').send(
        html.replace(/(<meta name="liveroom-default-channel" content=")[^"]*(")/, `$1${this.defaultChannel}$2`),
      );
    });
    app.get('/api/channels/:channel/events', (req, res) => {
      const name = req.params.channel;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.flushHeaders();
      const set = this.streams.get(name) ?? new Set<Response>();
      this.streams.set(name, set);
      set.add(res);
      req.on('close', () => set.delete(res));
      const channel = this.channels.get(name);
      if (channel) this.send(res, channel);
    });
    app.get('/api/channels/:channel', (req, res) => {
      const channel = this.channels.get(req.params.channel);
      if (channel) res.json(channel);
      else
        res.status(404).json({
          error: { code: 'LR_CHANNEL_NOT_FOUND', message: `There is no channel named "${req.params.channel}".` },
        });
    });
    app.use('/hls', (req, res) => {
      this.hlsRequests.push(`/hls${req.path}`);
      const [, channel, ...rest] = req.path.split('/');
      if (!this.channels.get(channel)?.live || this.brokenHls.has(channel)) {
        res.status(404).end();
        return;
      }
      res.set('cache-control', 'no-cache');
      if (rest.length === 1 && rest[0] === 'master.m3u8') {
        const lines = ['#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-INDEPENDENT-SEGMENTS'];
        for (const r of RENDITIONS) {
          lines.push(`#EXT-X-STREAM-INF:BANDWIDTH=${r.bandwidth},RESOLUTION=${r.width}x${r.height}`, `${r.name}/index.m3u8`);
        }
        res.type('application/vnd.apple.mpegurl').send(`${lines.join('\n')}\n`);
      } else if (rest.length === 2 && rest[1] === 'index.m3u8') {
        const playlist = fs.readFileSync(path.join(this.fixtureDir, 'index.m3u8'), 'utf8');
        res.type('application/vnd.apple.mpegurl').send(asLivePlaylist(playlist, Date.now()));
      } else if (rest.length === 2 && /^[\w.-]+$/.test(rest[1]) && fs.existsSync(path.join(this.fixtureDir, rest[1]))) {
        res.type('video/mp4').sendFile(path.join(this.fixtureDir, rest[1]));
      } else {
        res.status(404).end();
      }
    });
    await new Promise<void>((resolve) => {
      this.server = app.listen(0, '127.0.0.1', () => resolve());
    });
  }

  async stop(): Promise<void> {
    for (const set of this.streams.values()) for (const res of set) res.end();
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private send(res: Response, channel: Channel): void {
    res.write(`event: state\ndata: ${JSON.stringify(channel)}\n\n`);
  }
}

/**
 * Drops ENDLIST and shifts EXT-X-PROGRAM-DATE-TIME so the last segment started
 * one second ago, as on a live origin stamping wall-clock time at ingest.
 */
function asLivePlaylist(playlist: string, now: number): string {
  const dates = [...playlist.matchAll(/^#EXT-X-PROGRAM-DATE-TIME:(.+)$/gm)].map((m) => Date.parse(m[1]));
  const shift = dates.length > 0 ? now - 1000 - dates[dates.length - 1] : 0;
  return playlist
    .replace('#EXT-X-ENDLIST', '')
    .replace(/^#EXT-X-PROGRAM-DATE-TIME:(.+)$/gm, (_line, date: string) =>
      `#EXT-X-PROGRAM-DATE-TIME:${new Date(Date.parse(date) + shift).toISOString()}`,
    );
}

const stateIs = (...states: string[]) => `${JSON.stringify(states)}.includes(document.body.dataset.state)`;

describe('player page', () => {
  let fixtureDir: string;
  let fake: FakeLiveroom;
  let browser: Browser;
  let page: Page;
  let pageErrors: Error[];

  beforeAll(async () => {
    if (!fs.existsSync(path.join(DIST, 'watch.js'))) {
      throw new Error('dist/player/watch.js is missing: run `node scripts/build-player.mjs` (or `npm run build`) first.');
    }
    fixtureDir = fs.mkdtempSync(path.join(os.tmpdir(), 'liveroom-player-'));
    await makeHlsFixture(fixtureDir);
    fake = new FakeLiveroom(fixtureDir, 'lobby');
    await fake.start();
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await fake?.stop();
    if (fixtureDir) fs.rmSync(fixtureDir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    pageErrors = [];
    page.on('pageerror', (err) => pageErrors.push(err));
  });

  afterEach(async () => {
    await page.close();
    expect(pageErrors).toEqual([]);
  });

  test('shows the offline card and renders the server title as text, not HTML', async () => {
    fake.setChannel({ name: 'studio', title: XSS_TITLE, live: false, since: 1, renditions: RENDITIONS });
    await page.goto(`${fake.origin}/watch/studio`);
    await page.waitForFunction(stateIs('offline'));

    expect(await page.locator('#offline-card').isVisible()).toBe(true);
    expect(await page.textContent('#offline-title')).toBe(`${XSS_TITLE} is offline`);
    expect(await page.textContent('#channel-title')).toBe(XSS_TITLE);
    expect(await page.textContent('#live-badge')).toBe('OFFLINE');
    expect(await page.title()).toBe(`${XSS_TITLE} · liveroom`);
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.evaluate('window.__xss')).toBeUndefined();
    expect(await page.evaluate('window.__liveroom.hls')).toBeNull();
    expect(await page.locator('#chat.chat-panel').isVisible()).toBe(true);
    expect(fake.masterRequests('studio')).toBe(0);

    await page.screenshot({ path: '/tmp/player-offline.png' });

    // Wide screens: chat column beside the video. Phones: stacked below it.
    const frame = page.locator('#video-frame');
    const chat = page.locator('#chat');
    let [f, c] = [await frame.boundingBox(), await chat.boundingBox()];
    expect(c!.x).toBeGreaterThanOrEqual(f!.x + f!.width);
    expect(c!.width).toBeGreaterThanOrEqual(340);
    await page.setViewportSize({ width: 390, height: 844 });
    [f, c] = [await frame.boundingBox(), await chat.boundingBox()];
    expect(c!.y).toBeGreaterThanOrEqual(f!.y + f!.height);
    expect(f!.width).toBe(390);
    await page.screenshot({ path: '/tmp/player-offline-phone.png' });
  });

  test('starts by itself when the channel goes live, and again after the publisher is gone and back', async () => {
    fake.setChannel({ name: 'show', title: 'Evening show', live: false, since: 1, renditions: RENDITIONS });
    await page.goto(`${fake.origin}/watch/show`);
    await page.waitForFunction(stateIs('offline'));

    // Publisher arrives: the SSE stream says live, the page loads the master playlist.
    fake.setChannel({ name: 'show', title: 'Evening show', live: true, since: 1000, renditions: RENDITIONS });
    await page.waitForFunction(stateIs('loading', 'playing'));
    expect(fake.masterRequests('show')).toBe(1);
    await page.waitForFunction(stateIs('playing'), undefined, { timeout: 20_000 });

    expect(await page.evaluate('window.__liveroom.hls !== null')).toBe(true);
    expect(await page.evaluate('window.__liveroom.video.muted')).toBe(true);
    expect(await page.locator('#unmute').isVisible()).toBe(true);
    expect(await page.locator('#offline-card').isVisible()).toBe(false);
    expect(await page.textContent('#live-badge')).toBe('LIVE');

    // Latency readout, refreshed a few times a second.
    await page.waitForFunction(`/^LIVE · \\d+\\.\\d s$/.test(document.getElementById('latency-edge').textContent)`);
    await page.waitForFunction(`/since ingest/.test(document.getElementById('latency-glass').textContent)`);

    // Quality menu: Auto plus every level, highest first; a pick sets the hls.js level.
    const labels = await page.locator('#quality option').allTextContents();
    expect(labels).toHaveLength(3);
    expect(labels[0]).toMatch(/^Auto/);
    expect(labels.slice(1)).toEqual(['720p · 2.5 Mbps', '360p · 800 kbps']);
    await page.selectOption('#quality', { label: '720p · 2.5 Mbps' });
    expect(await page.evaluate('window.__liveroom.hls.levels[window.__liveroom.hls.manualLevel].height')).toBe(720);
    await page.selectOption('#quality', { value: '-1' });
    expect(await page.evaluate('window.__liveroom.hls.autoLevelEnabled')).toBe(true);

    await page.screenshot({ path: '/tmp/player-live.png' });

    // Publisher gone: offline card after the buffered tail.
    fake.setChannel({ name: 'show', title: 'Evening show', live: false, since: 5000, renditions: RENDITIONS });
    await page.waitForFunction(stateIs('offline'), undefined, { timeout: 20_000 });
    expect(await page.locator('#offline-card').isVisible()).toBe(true);
    expect(await page.evaluate('window.__liveroom.hls')).toBeNull();

    // ...and back: the same page reloads the source without a page reload.
    fake.setChannel({ name: 'show', title: 'Evening show', live: true, since: 9000, renditions: RENDITIONS });
    await page.waitForFunction(stateIs('playing'), undefined, { timeout: 20_000 });
    expect(fake.masterRequests('show')).toBe(2);
  });

  test('keeps retrying with a visible message when the stream fails to load', async () => {
    fake.brokenHls.add('broken');
    fake.setChannel({ name: 'broken', title: 'Broken', live: true, since: 1, renditions: RENDITIONS });
    await page.goto(`${fake.origin}/watch/broken`);
    await page.waitForFunction(`document.getElementById('notice-text').textContent.includes('Reconnecting')`, undefined, {
      timeout: 15_000,
    });
    expect(await page.locator('#notice').isVisible()).toBe(true);
    expect(await page.evaluate('document.body.dataset.state')).toBe('loading');
    // A later attempt hits the server again.
    const before = fake.masterRequests('broken');
    await waitFor(() => fake.masterRequests('broken') > before, 15_000);

    // Channel ends while retrying: the offline card replaces the message.
    fake.setChannel({ name: 'broken', title: 'Broken', live: false, since: 2, renditions: RENDITIONS });
    await page.waitForFunction(stateIs('offline'));
    expect(await page.locator('#notice').isVisible()).toBe(false);
  });

  test('/ shows the channel named by the default-channel meta tag', async () => {
    fake.setChannel({ name: 'lobby', title: 'The lobby', live: false, since: 1, renditions: [] });
    await page.goto(`${fake.origin}/`);
    await page.waitForFunction(stateIs('offline'));
    expect(await page.evaluate('window.__liveroom.channel')).toBe('lobby');
    expect(await page.textContent('#channel-title')).toBe('The lobby');
  });

  test('an unknown channel shows the server message instead of a black box', async () => {
    await page.goto(`${fake.origin}/watch/nope`);
    await page.waitForFunction(stateIs('error'));
    expect(await page.textContent('#notice-text')).toBe('There is no channel named "nope".');
    expect(await page.locator('#notice').isVisible()).toBe(true);
  });
});

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
