/// <reference lib="dom" />
/**
 * Sharing through the real parts: the real server, a real ffmpeg RTMP publisher,
 * headless Chromium, and the built CLI as a process. Link previews (Open Graph
 * tags, escaped), the live thumbnail (a real JPEG from the stream, refreshed),
 * the share button (copy to the real clipboard, or the browser's Web Share API)
 * counted by the server, the embed page playing in an iframe on another origin,
 * and a title set with `liveroom channels set` reaching an open page.
 * Needs the bundle: `npm run build` first.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { io as ioClient } from 'socket.io-client';
import { launchBrowser } from './helpers/browser';
import { runCli } from './helpers/cli-harness';
import { jpegInfo } from './helpers/jpeg-info';
import { publish, startLiveroom, STREAM_KEY, until, type Harness, type Publisher } from './helpers/liveroom-harness';
import { parsePrometheusText } from './helpers/prometheus-text';

jest.setTimeout(120_000);

const DIST = path.resolve(__dirname, '..', 'dist', 'player');
// `$&` too: a replacement pattern if the server spliced the title in with a replacement string.
const HOSTILE_TITLE = 'Tom & Jerry\'s <"live"> show $&';

describe('share, embed, thumbnail and channel profile', () => {
  let h: Harness;
  let pub: Publisher | undefined;
  let browser: Browser;
  let hostPage: http.Server | undefined;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];

  const newPage = async (options: Parameters<Browser['newContext']>[0] = {}): Promise<Page> => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 }, ...options });
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      if (/Content Security Policy|not counted/i.test(m.text())) pageErrors.push(m.text());
    });
    return page;
  };
  const channel = async () => (await (await fetch(`${h.base}/api/channels/live`)).json()) as { title: string; live: boolean; shares: { total: number; broadcast: number | null } };
  const adminToken = () => fs.readFileSync(path.join(h.dataDir, 'admin-token'), 'utf8').trim();
  const thumbnail = async () => {
    const res = await fetch(`${h.base}/api/channels/live/thumbnail.jpg`);
    return { status: res.status, type: res.headers.get('content-type'), bytes: Buffer.from(await res.arrayBuffer()) };
  };

  beforeAll(async () => {
    if (!fs.existsSync(path.join(DIST, 'watch.js'))) throw new Error('dist/player is missing: run `npm run build` first.');
    // Every page here comes from 127.0.0.1: room for each one's status event stream.
    h = await startLiveroom({ http: { maxEventStreamsPerAddress: 20 }, transcoder: { defaultProfile: 'passthrough' }, thumbnails: { intervalMs: 1000, width: 640 }, shares: { burstPerAddress: 3, perMinutePerAddress: 1 } });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    hostPage?.close();
    await pub?.stop();
    await h?.stop();
  });

  afterEach(() => {
    expect(pageErrors).toEqual([]);
  });

  it('renders Open Graph and Twitter card tags with the channel title and description, escaped', async () => {
    const res = await fetch(`${h.base}/api/admin/channels/live`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${adminToken()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: HOSTILE_TITLE, description: 'Line one & <b>two</b>', offlineMessage: 'Back at 18:00' }),
    });
    expect(res.status).toBe(200);
    const html = await (await fetch(`${h.base}/watch/live`)).text();
    const meta = (key: string) => new RegExp(`<meta (?:property|name)="${key}" content="([^"]*)" />`).exec(html)?.[1];
    const escapedTitle = 'Tom &#38; Jerry&#39;s &#60;&#34;live&#34;&#62; show $&#38;';
    expect(meta('og:title')).toBe(escapedTitle);
    expect(meta('twitter:title')).toBe(escapedTitle);
    expect(meta('og:description')).toBe('Line one &#38; &#60;b&#62;two&#60;/b&#62;');
    expect(meta('twitter:card')).toBe('summary_large_image');
    expect(meta('og:url')).toBe(`${h.base}/watch/live`);
    expect(meta('og:image')).toBe(`${h.base}/api/channels/live/thumbnail.jpg`);
    expect(html).toContain(`<title>${escapedTitle} · liveroom</title>`);
    expect(html).not.toContain(HOSTILE_TITLE);

    // Offline, with no recording yet: no thumbnail, with the catalog's code.
    const missing = await fetch(`${h.base}/api/channels/live/thumbnail.jpg`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('LR_THUMBNAIL_UNAVAILABLE');

    // Invalid profile fields are refused with the field named.
    const bad = await fetch(`${h.base}/api/admin/channels/live`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${adminToken()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ description: 'x'.repeat(1001) }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string; message: string } }).error).toEqual({ code: 'LR_CHANNEL_INVALID', message: "'description' must be a string of at most 1000 characters" });
  });

  it('shows the title, description and offline message on the page, and frames /embed from anywhere but keeps the watch page\'s policy', async () => {
    const page = await newPage();
    await page.goto(`${h.base}/watch/live`);
    await page.waitForFunction(() => document.body.dataset.state === 'offline');
    expect(await page.textContent('#channel-title')).toBe(HOSTILE_TITLE);
    expect(await page.title()).toBe(`${HOSTILE_TITLE} · liveroom`);
    expect(await page.textContent('#channel-description')).toBe('Line one & <b>two</b>');
    expect(await page.textContent('#offline-message')).toBe('Back at 18:00');
    expect(await page.locator('#offline-message').isVisible()).toBe(true);

    const [watch, embed] = await Promise.all([fetch(`${h.base}/watch/live`), fetch(`${h.base}/embed/live`)]);
    expect(embed.status).toBe(200);
    expect(embed.headers.get('x-frame-options')).toBeNull();
    expect(embed.headers.get('content-security-policy')).toMatch(/frame-ancestors \*$/);
    expect(watch.headers.get('content-security-policy')).toMatch(/frame-ancestors \*$/); // the default 'http.frameAncestors'
    expect(await embed.text()).toContain('<body data-state="loading" data-embed="video">');
    expect(await (await fetch(`${h.base}/embed/live?chat=1`)).text()).toContain('data-embed="chat"');
    // `?chat=1`: the chat panel beside the video, still without the page's header.
    await page.goto(`${h.base}/embed/live?chat=1`);
    await page.waitForFunction(() => document.body.dataset.state === 'offline');
    expect(await page.locator('#chat').isVisible()).toBe(true);
    expect(await page.locator('.topbar').isVisible()).toBe(false);
    expect(await page.locator('#share-button').isVisible()).toBe(false);
  });

  it('serves a live thumbnail made from the stream: a real JPEG of the configured size, refreshed', async () => {
    pub = publish(`${h.rtmp}/${STREAM_KEY}`, { size: '854x480' });
    await until(async () => (await channel()).live, 30_000, 'the channel to go live');
    const first = await until(async () => {
      const t = await thumbnail();
      return t.status === 200 && t;
    }, 20_000, 'the first live thumbnail');
    expect(first.type).toBe('image/jpeg');
    expect(jpegInfo(first.bytes)).toEqual({ width: 640, height: 360 });
    // Every viewer gets the same bytes from memory until the next interval.
    expect((await thumbnail()).bytes.length).toBeGreaterThan(0);
    const later = await until(async () => {
      const t = await thumbnail();
      return t.status === 200 && !t.bytes.equals(first.bytes) && t;
    }, 15_000, 'a newer thumbnail');
    expect(jpegInfo(later.bytes)).toEqual({ width: 640, height: 360 });
  });

  it('copies the watch link with the share button where the browser has no Web Share, and the server counts it', async () => {
    const page = await newPage({ permissions: ['clipboard-read', 'clipboard-write'] });
    await page.goto(`${h.base}/watch/live`);
    await page.waitForFunction(() => document.body.dataset.state === 'playing', null, { timeout: 40_000 });
    expect(await page.evaluate(() => typeof navigator.share)).toBe('undefined'); // headless Chromium on Linux
    const before = await channel();
    await page.click('#share-button');
    await page.locator('#share-feedback', { hasText: 'Link copied' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(`${h.base}/watch/live`);
    await until(async () => (await channel()).shares.total === before.shares.total + 1, 5000, 'the share to be counted');
    const after = await channel();
    expect(after.shares.broadcast).toBe((before.shares.broadcast ?? 0) + 1);

    // The embed code, copied: counted as an embed.
    await page.click('#embed-button');
    const code = await page.inputValue('#embed-code');
    await page.screenshot({ path: '/tmp/share-watch-embed-code.png' });
    expect(code).toContain(`<iframe src="${h.base}/embed/live"`);
    expect(code).toContain('title="Tom &amp; Jerry\'s &lt;&quot;live&quot;&gt; show $&amp;"');
    await page.click('#embed-copy');
    await page.locator('#share-feedback', { hasText: 'Embed code copied' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(code);
    await until(async () => (await channel()).shares.total === after.shares.total + 1, 5000, 'the embed share to be counted');
    const token = adminToken();
    const status = (await (await fetch(`${h.base}/api/admin/status?channel=live`, { headers: { authorization: `Bearer ${token}` } })).json()) as { channels: { shares: unknown }[] };
    expect(status.channels[0].shares).toEqual({ total: after.shares.total + 1, broadcast: (after.shares.broadcast ?? 0) + 1 });
    // And Prometheus sees them, by method.
    const metrics = parsePrometheusText(await (await fetch(`${h.base}/metrics`)).text());
    expect(metrics.value('liveroom_shares_total', { channel: 'live', method: 'copy' })).toBeGreaterThanOrEqual(1);
    expect(metrics.value('liveroom_shares_total', { channel: 'live', method: 'embed' })).toBeGreaterThanOrEqual(1);
  });

  it('uses the browser\'s Web Share API where there is one, and counts the share as native', async () => {
    const page = await newPage();
    await page.addInitScript(() => {
      const shared: ShareData[] = [];
      (window as unknown as { __shared: ShareData[] }).__shared = shared;
      Object.defineProperty(Navigator.prototype, 'share', { configurable: true, value: (data: ShareData) => (shared.push(data), Promise.resolve()) });
    });
    await page.goto(`${h.base}/watch/live`);
    await page.waitForFunction(() => document.getElementById('channel-title')!.textContent !== 'live');
    const before = await channel();
    await page.click('#share-button');
    await page.locator('#share-feedback', { hasText: 'Shared' }).waitFor();
    expect(await page.evaluate(() => (window as unknown as { __shared: ShareData[] }).__shared)).toEqual([{ title: HOSTILE_TITLE, url: `${h.base}/watch/live` }]);
    await until(async () => (await channel()).shares.total === before.shares.total + 1, 5000, 'the native share to be counted');
    const counts = (await h.room.status!.view('live'))!.shares;
    expect(counts.total).toBe(before.shares.total + 1);
  });

  it('refuses share events past the per-address limit, and bad methods', async () => {
    const post = (method: unknown) => fetch(`${h.base}/api/channels/live/shares`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ method }) });
    const bad = await post('fax');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('LR_SHARE_INVALID');
    // Three shares were sent from this address already (burst 3, one a minute after that).
    const res = await post('copy');
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('10');
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('LR_SHARE_TOO_MANY');
  });

  it('plays the embed page inside an iframe on another origin, video and bullet comments, no chat panel', async () => {
    hostPage = http.createServer((_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(`<!doctype html><body style="margin:0"><h1>My blog</h1><iframe id="player" src="${h.base}/embed/live" width="640" height="360" style="border:0" allow="autoplay; fullscreen"></iframe></body>`);
    });
    await new Promise<void>((r) => hostPage!.listen(0, '127.0.0.1', r));
    const hostOrigin = `http://127.0.0.1:${(hostPage.address() as AddressInfo).port}`;
    expect(hostOrigin).not.toBe(h.base);
    const page = await newPage();
    await page.goto(hostOrigin);
    const frame = await until(async () => page.frames().find((f) => f.url().startsWith(`${h.base}/embed/live`)), 10_000, 'the embed frame');
    await frame.waitForFunction(
      () => {
        const v = document.querySelector('video')!;
        return v.currentTime > 0 && v.getVideoPlaybackQuality().totalVideoFrames > 0;
      },
      null,
      { timeout: 40_000 },
    );
    const t1 = await frame.evaluate(() => document.querySelector('video')!.currentTime);
    await frame.waitForFunction((t) => document.querySelector('video')!.currentTime > t + 0.5, t1, { timeout: 10_000 });
    expect(await frame.locator('#chat').isVisible()).toBe(false);
    expect(await frame.locator('.topbar').isVisible()).toBe(false);
    const box = (await frame.locator('#video-frame').boundingBox())!;
    const iframe = (await page.locator('#player').boundingBox())!;
    expect(box.width).toBe(iframe.width);
    expect(box.x).toBe(iframe.x);
    expect(box.height).toBeGreaterThan(iframe.height * 0.75); // the control bar takes the rest

    // A bullet comment sent in the chat flies over the embedded video.
    const socket = ioClient(h.base, { transports: ['websocket'], reconnection: false, auth: { channel: 'live', identity: crypto.randomBytes(16).toString('base64url'), name: 'Sender' } });
    try {
      await new Promise<void>((resolve, reject) => socket.once('welcome', () => resolve()).once('connect_error', reject));
      await frame.waitForFunction(() => (window as any).__liveroom.chat.state === 'connected');
      socket.emit('send', { text: 'hello embed', kind: 'danmaku' }, () => undefined);
      await frame.locator('#danmaku-layer .danmaku-item', { hasText: 'hello embed' }).waitFor();
    } finally {
      socket.close();
    }
    await page.screenshot({ path: '/tmp/share-embed-iframe.png' });
  });

  it('changes the title on an open page without a reload when `liveroom channels set live --title` runs', async () => {
    const page = await newPage();
    await page.goto(`${h.base}/watch/live`);
    await page.waitForFunction((t) => document.getElementById('channel-title')!.textContent === t, HOSTILE_TITLE);
    await page.evaluate(() => ((window as unknown as { __samePage: boolean }).__samePage = true));
    const env = { ...process.env, LIVEROOM_SERVER: h.base, LIVEROOM_ADMIN_TOKEN: adminToken(), LIVEROOM_CONFIG: '', LIVEROOM_DATA_DIR: h.dataDir };
    const r = await runCli(['channels', 'set', 'live', '--title', 'Friday build stream', '--description', 'We ship a feature live.'], env);
    expect(r).toMatchObject({ code: 0 });
    expect(r.stdout).toContain("Channel 'live' updated.");
    await page.waitForFunction(() => document.getElementById('channel-title')!.textContent === 'Friday build stream', null, { timeout: 5000 });
    expect(await page.title()).toBe('Friday build stream · liveroom');
    expect(await page.textContent('#channel-description')).toBe('We ship a feature live.');
    expect(await page.evaluate(() => (window as unknown as { __samePage?: boolean }).__samePage)).toBe(true); // no reload

    const tooLong = await runCli(['channels', 'set', 'live', '--title', 'T'.repeat(121)], env);
    expect(tooLong.code).not.toBe(0);
    expect(tooLong.stderr).toContain("'title' must be a string of 1 to 120 characters");
    const none = await runCli(['channels', 'set', 'live'], env);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toContain('give --title, --description or --offline-message');
  });

  it('shows the latest recording\'s thumbnail once the channel is offline, and the offline message on the open page', async () => {
    const page = await newPage();
    await page.goto(`${h.base}/watch/live`);
    await page.waitForFunction(() => document.body.dataset.state === 'playing', null, { timeout: 40_000 });
    await pub!.stop();
    await until(async () => !(await channel()).live, 30_000, 'the channel to go offline');
    await page.waitForFunction(() => document.body.dataset.state === 'offline', null, { timeout: 30_000 });
    expect(await page.textContent('#offline-message')).toBe('Back at 18:00');
    const recorded = await until(async () => {
      const t = await thumbnail();
      return t.status === 200 && t;
    }, 30_000, "the recording's thumbnail");
    expect(jpegInfo(recorded.bytes)).toEqual({ width: 320, height: 180 }); // recordings' own width (recording-thumbnail.ts)
    expect((await channel()).shares.broadcast).toBeNull();
  });
});
