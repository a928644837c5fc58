/// <reference lib="dom" />
/**
 * Analytics through the real parts: a real ffmpeg publishes, N viewers watch
 * (each an HLS client polling playlists and parts from its own loopback
 * address, and a chat connection), send messages, danmaku and likes; after
 * the publish ends, the admin API, the CLI and the admin page (Chromium)
 * report what was sent, and the database holds counts only.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import type { SendAck } from '../chat/chat-events';
import type { AnalyticsDetail as Detail, AnalyticsList } from '../analytics/analytics-types';
import type { SqliteStores } from '../storage/sqlite/sqlite-stores';
import { launchBrowser } from './helpers/browser';
import { ensureBuilt, runCli } from './helpers/cli-harness';
import { publish, startLiveroom, STREAM_KEY, until, type Harness, type Publisher } from './helpers/liveroom-harness';
import { get, joinChat, newIdentity, type ChatSocket } from './helpers/loopback-client';
import { parseMedia, parseMultivariant } from './helpers/m3u8';

jest.setTimeout(180_000);

const N = 3;
const SAMPLE_MS = 500;
const address = (i: number) => `127.0.0.${20 + i}`;

/** A light HLS player: multivariant, then its media playlist and newest part, every 300 ms, from `localAddress`. */
function hlsViewer(base: string, localAddress: string) {
  let stopped = false;
  const text = async (url: string) => {
    const r = get(url, { localAddress });
    return (await r.status) === 200 ? r.body : undefined;
  };
  const done = (async () => {
    const master = `${base}/hls/live/master.m3u8`;
    while (!stopped) {
      const variants = await text(master);
      const media = variants && new URL(parseMultivariant(variants)[0].uri, master).href;
      const playlist = media && (await text(media));
      if (media && playlist) {
        const p = parseMedia(playlist);
        const part = p.trailingParts.at(-1) ?? p.segments.at(-1)?.parts.at(-1);
        if (part) await text(new URL(part.uri, media).href);
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  })();
  return { stop: () => ((stopped = true), done) };
}

describe('analytics', () => {
  let h: Harness;
  let pub: Publisher | undefined;
  let browser: Browser | undefined;
  const sockets: ChatSocket[] = [];

  beforeAll(async () => {
    ensureBuilt();
    h = await startLiveroom({ analytics: { sampleIntervalMs: SAMPLE_MS } });
  });
  afterAll(async () => {
    await browser?.close();
    for (const s of sockets) s.disconnect();
    await pub?.stop();
    await h?.stop();
  });

  const token = () => fs.readFileSync(path.join(h.dataDir, 'admin-token'), 'utf8').trim();
  const admin = async <T>(p: string): Promise<T> => {
    const res = await fetch(`${h.base}/api/admin/analytics${p}`, { headers: { authorization: `Bearer ${token()}` } });
    if (res.status !== 200) throw new Error(`${p}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };

  it('counts a scripted broadcast: viewers over time, unique viewers, messages, chatters, danmaku, likes, shares; CLI and admin page agree', async () => {
    pub = publish(`${h.rtmp}/${STREAM_KEY}`, { seconds: 10 });
    // Waiting from the first viewer's address: every HLS request counts.
    await until(async () => (await get(`${h.base}/hls/live/master.m3u8`, { localAddress: address(0) }).status) === 200, 30_000, 'the channel to go live');
    const players = Array.from({ length: N }, (_, i) => hlsViewer(h.base, address(i)));
    for (let i = 0; i < N; i++) {
      const c = joinChat(h.base, { localAddress: address(i), auth: { identity: newIdentity(), name: `viewer${i}` } });
      await c.welcome;
      sockets.push(c.socket);
    }
    const send = async (s: ChatSocket, text: string, kind: 'chat' | 'danmaku' = 'chat') => {
      const ack = await new Promise<SendAck>((resolve) => s.emit('send', { text, kind }, resolve));
      if (!ack.ok) throw new Error(ack.error.message);
    };
    // M = 5 messages from two viewers, 2 danmaku from the third: 3 distinct chatters.
    for (const t of ['hi', 'hello', 'nice']) await send(sockets[0], t);
    for (const t of ['yo', 'gg']) await send(sockets[1], t);
    await send(sockets[2], 'wow', 'danmaku');
    await send(sockets[2], 'wow!', 'danmaku');
    sockets[0].emit('like', 5);
    sockets[1].emit('like', 3);
    // One share, as the watch page reports a copied link.
    const shared = await fetch(`${h.base}/api/channels/live/shares`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ method: 'copy' }) });
    expect(shared.status).toBeLessThan(300);
    const live = await until(async () => {
      const l = await admin<AnalyticsList>('?channel=live');
      return l.broadcasts[0]?.peakViewers >= N && l.broadcasts[0];
    }, 20_000, 'the samples to see every viewer');
    expect(live.status).toBe('live');

    await pub.exited;
    const b = await until(async () => {
      const d = await admin<Detail>(`/${live.broadcastId}`);
      return d.status === 'complete' && d;
    }, 30_000, 'the broadcast to end');
    await Promise.all(players.map((p) => p.stop()));

    expect(b).toMatchObject({ channel: 'live', messages: 5, danmaku: 2, chatters: 3, uniqueViewers: N, likes: 8, shares: 1 });
    expect(b.peakViewers).toBeGreaterThanOrEqual(N);
    expect(b.samples.length).toBeGreaterThanOrEqual(5);
    expect(b.samples.every((s, i) => i === 0 || s.at > b.samples[i - 1].at)).toBe(true);
    expect(Math.max(...b.samples.map((s) => s.hls))).toBe(N);
    expect(Math.max(...b.samples.map((s) => s.chat))).toBe(N);
    // Watch time is the samples integrated; the average is it over the time sampled.
    let watch = 0;
    b.samples.forEach((s, i) => (watch += (s.viewers * (s.at - (i ? b.samples[i - 1].at : b.startedAt))) / 1000));
    expect(b.watchSeconds).toBeCloseTo(watch, 3);
    expect(b.averageViewers).toBeCloseTo(watch / ((b.samples.at(-1)!.at - b.startedAt) / 1000), 1);
    expect(b.renditions.source.requests).toBeGreaterThan(0);
    expect(b.renditions.source.bytes).toBeGreaterThan(0);

    // The admin token guards it; an unknown broadcast is a 404 with its code.
    expect((await fetch(`${h.base}/api/admin/analytics`)).status).toBe(401);
    const missing = await fetch(`${h.base}/api/admin/analytics/ffff0000`, { headers: { authorization: `Bearer ${token()}` } });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('LR_ANALYTICS_NOT_FOUND');

    // Privacy: the database keeps counts, never an address or a chat identity.
    const db = (h.room as unknown as { stores: SqliteStores }).stores.db;
    const rows = JSON.stringify([db.prepare('SELECT * FROM broadcast_analytics').all(), db.prepare('SELECT * FROM broadcast_analytics_samples').all()]);
    expect(rows).not.toMatch(/127\.0\.0\./);
    for (const s of sockets) expect(rows).not.toContain((s.auth as { identity: string }).identity);

    // The CLI: the table, the chart of one broadcast, and --json.
    const env = { ...process.env, LIVEROOM_CONFIG: '', LIVEROOM_SERVER: '', LIVEROOM_ADMIN_TOKEN: '' };
    const cli = (...args: string[]) => runCli(['--server', h.base, '--token', token(), 'analytics', ...args], env);
    const table = await cli('live');
    expect(table.stderr).toBe('');
    expect(table.code).toBe(0);
    const [head, line] = table.stdout.trim().split('\n');
    expect(head.split(/\s{2,}/)).toEqual(['BROADCAST', 'CHANNEL', 'START', 'DURATION', 'PEAK', 'AVERAGE', 'UNIQUE', 'WATCH TIME', 'MESSAGES', 'CHATTERS', 'DANMAKU', 'LIKES', 'SHARES', 'STATUS']);
    const cells = line.split(/\s{2,}/);
    expect(cells[0]).toBe(b.broadcastId);
    expect(cells.slice(4)).toEqual([String(b.peakViewers), b.averageViewers.toFixed(1), String(N), expect.stringMatching(/^0:0\d:\d\d$/), '5', '3', '2', '8', '1', 'complete']);
    const one = await cli('--broadcast', b.broadcastId);
    expect(one.code).toBe(0);
    expect(one.stdout).toContain(`${b.samples.length} samples, one every 0.5 s`);
    const spark = one.stdout.split('\n').find((l) => /^ {2}[▁▂▃▄▅▆▇█]+$/.test(l));
    expect(spark?.trim()).toHaveLength(b.samples.length);
    expect(spark).toContain('█');
    const json = JSON.parse((await cli('--broadcast', b.broadcastId, '--json')).stdout) as Detail;
    expect(json).toEqual(b);

    // The admin page in Chromium: the token typed in, sent as a header; the chart has the broadcast's points.
    browser = await launchBrowser();
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const urls: string[] = [];
    const authorized: string[] = [];
    page.on('request', (r) => {
      urls.push(r.url());
      if (r.headers().authorization === `Bearer ${token()}`) authorized.push(new URL(r.url()).pathname);
    });
    await page.goto(`${h.base}/admin/analytics`);
    await page.fill('#analytics-token', token());
    await page.click('button[type=submit]');
    await page.waitForFunction(() => document.body.dataset.state === 'shown', null, { timeout: 15_000 });
    const chart = page.locator(`svg.chart[data-broadcast="${b.broadcastId}"]`);
    expect(await chart.getAttribute('data-points')).toBe(String(b.samples.length));
    const points = (await chart.locator('polyline').getAttribute('points'))!.trim().split(/\s+/).map((p) => p.split(',').map(Number));
    expect(points).toHaveLength(b.samples.length);
    // x grows with time; the peak sample is the highest point (smallest y).
    expect(points.every((p, i) => i === 0 || p[0] > points[i - 1][0])).toBe(true);
    const peakAt = b.samples.findIndex((s) => s.viewers === b.peakViewers);
    expect(points[peakAt][1]).toBe(Math.min(...points.map((p) => p[1])));
    expect(await page.locator(`section[data-broadcast="${b.broadcastId}"] .figures`).textContent()).toContain('5 messages from 3 chatters');
    expect(authorized).toEqual(expect.arrayContaining(['/api/admin/analytics', `/api/admin/analytics/${b.broadcastId}`]));
    expect(urls.some((u) => u.includes(token()))).toBe(false);
    expect(errors).toEqual([]);
  });
});
