/// <reference lib="dom" />
/**
 * A recording survives kill -9: the server runs as its own process (`liveroom
 * start`), a real ffmpeg publishes, and the server is SIGKILLed mid-broadcast.
 * A new server on the same data folder closes the recording as interrupted;
 * what was kept is indexed segment for segment, serves as a VOD playlist, plays
 * to its end in Chromium with hls.js, gets its thumbnail, and exports to an MP4 of that duration.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { launchBrowser } from './helpers/browser';
import { ensureBuilt, runCli, startServerProcess, type ServerProcess } from './helpers/cli-harness';
import { jpegInfo } from './helpers/jpeg-info';
import { getText, publish, until, type Publisher } from './helpers/liveroom-harness';
import { parseMedia, parseMultivariant } from './helpers/m3u8';
import { probeMedia } from './helpers/media-duration';

jest.setTimeout(240_000);

const KEY = 'crash-test-stream-key-01';

describe('recording after kill -9', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-crash-'));
  let srv: ServerProcess | undefined;
  let pub: Publisher | undefined;
  let browser: Browser | undefined;
  beforeAll(() => ensureBuilt());
  afterAll(async () => {
    await browser?.close();
    await pub?.stop();
    await srv?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const env = { LIVEROOM_DATA_DIR: dataDir, LIVEROOM_STREAM_KEY: KEY, LIVEROOM_PROFILE: 'passthrough', LIVEROOM_ANALYTICS_INTERVAL_MS: '500' };
  const admin = (s: ServerProcess, p: string) =>
    fetch(`${s.base}/api/admin/recordings${p}`, { headers: { authorization: `Bearer ${fs.readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim()}` } });

  it('keeps every segment written before the kill, indexed and playable after a restart', async () => {
    srv = await startServerProcess(env);
    pub = publish(`${srv.rtmp}/${KEY}`);
    const s1 = srv;
    const live = await until(async () => {
      const m = await getText(`${s1.base}/hls/live/master.m3u8`);
      return m.status === 200 && new URL(parseMultivariant(m.text)[0].uri, `${s1.base}/hls/live/master.m3u8`).href;
    }, 30_000, 'the channel to go live');
    const id = live.split('/').at(-3)!;
    await until(async () => parseMedia((await getText(live)).text).segments.length >= 8, 30_000, 'eight live segments');
    const folder = path.join(dataDir, 'recordings', 'live', id, 'source');
    expect(fs.existsSync(folder)).toBe(true);

    srv.proc.kill('SIGKILL');
    await new Promise((r) => srv!.proc.once('exit', r));
    await pub.stop();
    pub = undefined;
    const kept = fs.readdirSync(folder).filter((f) => /^seg-\d+\.m4s$/.test(f));
    expect(kept.length).toBeGreaterThanOrEqual(7);

    srv = await startServerProcess(env);
    const rec = (await (await admin(srv, `/${id}`)).json()) as { status: string; duration: number; endedAt: number | null; renditionDetails: { name: string; segments: number }[] };
    expect(rec.status).toBe('interrupted');
    expect(rec.endedAt).not.toBeNull();
    // Every complete file is indexed (a segment is indexed right after its file is in place: at most the last one can be missing).
    const indexed = rec.renditionDetails[0].segments;
    expect(indexed).toBeGreaterThanOrEqual(kept.length - 1);
    expect(indexed).toBeLessThanOrEqual(kept.length);
    expect(fs.readdirSync(folder).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    // Closed as interrupted, it gets its thumbnail like one that ended.
    const s2 = srv;
    const thumbUrl = await until(async () => ((await (await admin(s2, `/${id}`)).json()) as { thumbnail: string | null }).thumbnail, 15_000, 'the thumbnail of the interrupted recording');
    const thumb = await fetch(`${srv.base}${thumbUrl}`);
    expect(thumb.status).toBe(200);
    expect(jpegInfo(Buffer.from(await thumb.arrayBuffer())).width).toBe(320);
    // The CLI shows it: a THUMB column in the list, the URL in show.
    const cliEnv = { ...process.env, LIVEROOM_DATA_DIR: dataDir, LIVEROOM_HTTP_PORT: srv.env.LIVEROOM_HTTP_PORT, LIVEROOM_CONFIG: '', LIVEROOM_SERVER: '', LIVEROOM_ADMIN_TOKEN: '' };
    const listed = await runCli(['recordings', 'list'], cliEnv);
    expect(listed.code).toBe(0);
    const [head, row] = listed.stdout.split('\n');
    expect(row.slice(head.indexOf('THUMB')).startsWith('yes')).toBe(true);
    const shown = await runCli(['recordings', 'show', id], cliEnv);
    expect(shown.stdout).toContain(`thumbnail ${srv.base}${thumbUrl}`);
    // Its analytics keep what was sampled before the kill (this test's HLS requests: one viewer), closed at the last sample.
    const analytics = JSON.parse((await runCli(['--json', 'analytics', '--broadcast', id], cliEnv)).stdout) as { status: string; peakViewers: number; endedAt: number; samples: { at: number; hls: number }[] };
    expect(analytics).toMatchObject({ status: 'interrupted', peakViewers: 1, endedAt: analytics.samples.at(-1)!.at });
    expect(analytics.samples.length).toBeGreaterThanOrEqual(10);
    expect(analytics.samples.some((s) => s.hls === 1)).toBe(true);

    const media = await getText(`${srv.base}/vod/live/${id}/source/index.m3u8`);
    expect(media.status).toBe(200);
    const vod = parseMedia(media.text);
    expect(media.text).toContain('#EXT-X-PLAYLIST-TYPE:VOD');
    expect(vod.endlist).toBe(true);
    expect(vod.segments.length).toBe(indexed);
    const total = vod.segments.reduce((a, s) => a + s.duration, 0);
    expect(Math.abs(total - rec.duration)).toBeLessThan(0.01);

    browser = await launchBrowser();
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${srv.base}/watch/live/replays/${id}`);
    await page.waitForFunction(() => document.body.dataset.state === 'playing', null, { timeout: 30_000 });
    await page.waitForFunction(() => document.body.dataset.state === 'ended', null, { timeout: (total + 25) * 1000 });
    const end = await page.evaluate(() => (window as any).__liveroomReplay.video.currentTime as number);
    expect(Math.abs(end - total)).toBeLessThan(1.5);
    expect(errors).toEqual([]);

    const mp4 = await admin(srv, `/${id}/export`);
    expect(mp4.status).toBe(200);
    const file = path.join(dataDir, 'export.mp4');
    fs.writeFileSync(file, Buffer.from(await mp4.arrayBuffer()));
    expect(Math.abs(probeMedia(file).duration - total)).toBeLessThan(0.5);
  });
});
