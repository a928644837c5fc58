/// <reference lib="dom" />
/**
 * TLS through the real parts: a self-signed certificate made by openssl at test
 * time, a real ffmpeg publishing over RTMPS, the LL-HLS playlists over HTTPS,
 * headless Chromium playing the watch page with the chat over WSS, the built CLI
 * over https with --ca, certificate renewal without a restart (file change and
 * SIGHUP), and garbage TLS handshakes on the RTMPS port during a live stream.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { launchBrowser } from './helpers/browser';
import { ensureBuilt, runCli, startServerProcess, type ServerProcess } from './helpers/cli-harness';
import { publish, startLiveroom, STREAM_KEY, until, type Harness, type Publisher } from './helpers/liveroom-harness';
import { handshakes, httpsGet, installCert, makeCert, peerFingerprint, sendAndWaitClose, type TestCert } from './helpers/tls-cert';

jest.setTimeout(120_000);

/** The first variant's media playlist, resolved against the multivariant URL (whatever the URI layout). */
async function mediaPlaylist(base: string, ca: string): Promise<{ url: string; text: string }> {
  const masterUrl = `${base}/hls/live/master.m3u8`;
  const master = await httpsGet(masterUrl, ca);
  if (master.status !== 200) throw new Error(`master.m3u8: ${master.status}`);
  const uri = master.text.split('\n').map((l) => l.trim()).find((l) => l && !l.startsWith('#'));
  if (!uri) throw new Error(`no variant in\n${master.text}`);
  const url = new URL(uri, masterUrl).href;
  const media = await httpsGet(url, ca);
  if (media.status !== 200) throw new Error(`${url}: ${media.status}`);
  return { url, text: media.text };
}

const lastPart = (playlist: string) => playlist.split('\n').filter((l) => l.startsWith('#EXT-X-PART:')).pop();

describe('TLS in process: RTMPS publish, HTTPS playlists, the watch page and chat over WSS, renewal', () => {
  let dir: string;
  let first: TestCert;
  /** The paths the server is configured with; renewals are copied over them. */
  let live: { cert: string; key: string };
  let h: Harness;
  let pub: Publisher;
  let browser: Browser | undefined;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'liveroom-tls-'));
    first = makeCert(dir, 'first');
    live = { cert: path.join(dir, 'live-cert.pem'), key: path.join(dir, 'live-key.pem') };
    installCert(first, live);
    h = await startLiveroom({
      http: { tls: { ...live, checkIntervalMs: 200 } },
      rtmp: { authFailuresBeforeBackoff: 3, authBackoffMs: 30_000, authBackoffMaxMs: 60_000 },
      transcoder: { defaultProfile: 'passthrough' },
    });
    pub = publish(`${h.rtmps}/${STREAM_KEY}`);
  });

  afterAll(async () => {
    await browser?.close();
    await pub?.stop();
    await h?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('prints rtmps:// for OBS and https:// for viewers', () => {
    expect(h.info.tls).toBe(true);
    expect(h.info.rtmpUrl).toBe(`rtmps://127.0.0.1:${h.info.rtmpsPort}/live`);
    expect(h.info.plainRtmpUrl).toBe(`rtmp://127.0.0.1:${h.info.rtmpPort}/live`);
    expect(h.info.playerUrl).toBe(`https://127.0.0.1:${h.info.httpPort}/watch/live`);
    expect(h.info.rtmpsPort).toBeGreaterThan(0);
    expect(h.info.rtmpsPort).not.toBe(h.info.rtmpPort);
  });

  /** The first variant's media playlist once it has parts (the RTMPS publish is live). */
  const liveMedia = () =>
    until(async () => {
      const m = await mediaPlaylist(h.base, live.cert);
      return lastPart(m.text) ? m : undefined;
    }, 40_000, 'a live media playlist over https');

  it('goes live from a real ffmpeg publishing over rtmps://, with the playlists served over https', async () => {
    const media = await liveMedia().catch((err: Error) => {
      throw new Error(`${err.message}; ffmpeg said: ${pub.stderr()}`);
    });
    expect(media.text).toMatch(/^#EXTM3U/);
    expect(h.room.ingest!.isLive('live')).toBe(true);
    // Plain http on the TLS port is not served.
    await expect(fetch(`http://127.0.0.1:${h.info.httpPort}/api/channels/live`)).rejects.toThrow();
  });

  it('plays the watch page over https in Chromium, with the chat over WSS', async () => {
    browser = await launchBrowser();
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 720 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const sockets: string[] = [];
    page.on('websocket', (ws) => sockets.push(ws.url()));
    await page.goto(`${h.base}/watch/live`);
    await page.locator('#name-picker').waitFor({ state: 'visible' });
    await page.fill('#name-input', 'Tess');
    await page.click('#name-picker button[type=submit]');
    await page.waitForFunction(() => (window as any).__liveroom.chat.state === 'connected');
    await page.fill('#composer-input', 'hello over wss');
    await page.press('#composer-input', 'Enter');
    await page.locator('#chat-list .chat-text', { hasText: 'hello over wss' }).waitFor();
    expect(sockets.some((u) => u.startsWith(`wss://127.0.0.1:${h.info.httpPort}/`))).toBe(true);
    await page.waitForFunction(() => document.body.dataset.state === 'playing', null, { timeout: 40_000 });
    const t0 = await page.evaluate(() => (window as any).__liveroom.video.currentTime as number);
    await page.waitForFunction((t) => (window as any).__liveroom.video.currentTime > t + 0.5, t0, { timeout: 20_000 });
    expect(errors).toEqual([]);
    await context.close();
  });

  it('drops garbage TLS handshakes cheaply, backs off that address only, and the live stream goes on', async () => {
    const port = h.info.rtmpsPort;
    const before = lastPart((await liveMedia()).text);
    const garbage = crypto.randomBytes(2048);
    // Not TLS at all: each is refused by the TLS layer at once and counts as a failed attempt for 127.0.0.7.
    for (let i = 0; i < 3; i++) {
      const r = await sendAndWaitClose(port, '127.0.0.7', garbage);
      expect(r.ms).toBeLessThan(2000);
      expect(r.answered).toBeLessThan(64); // at most a TLS alert
    }
    // Backed off: closed at accept, before any TLS work, by its real address (not 127.0.0.1, as behind a TLS proxy).
    expect(await handshakes(port, '127.0.0.7')).toBe(false);
    expect(await handshakes(port, '127.0.0.8')).toBe(true);
    expect(await handshakes(port, '127.0.0.1')).toBe(true);
    // A crowd: 60 more addresses, 3 garbage handshakes each, all at once; each ends up backed off too.
    const crowd = Array.from({ length: 60 }, (_, i) => `127.0.1.${i + 1}`);
    const t0 = Date.now();
    const closes = await Promise.all(crowd.flatMap((a) => [0, 1, 2].map(() => sendAndWaitClose(port, a, garbage))));
    expect(Math.max(...closes.map((c) => c.ms))).toBeLessThan(5000);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(await handshakes(port, crowd[0])).toBe(false);
    // The publisher was never disturbed: still live, and new parts keep coming.
    expect(h.room.ingest!.isLive('live')).toBe(true);
    await until(async () => lastPart((await mediaPlaylist(h.base, live.cert)).text) !== before, 10_000, 'new parts after the garbage');
    await until(() => h.room.ingest!.stats().connections === 1, 5000, 'only the publisher left connected');
  });

  it('takes a renewed certificate on HTTPS and RTMPS without a restart, and keeps the old one when the new pair is bad', async () => {
    expect(await peerFingerprint(h.info.httpPort)).toBe(first.fingerprint);
    expect(await peerFingerprint(h.info.rtmpsPort)).toBe(first.fingerprint);
    const second = makeCert(dir, 'second');
    installCert(second, live);
    await until(async () => (await peerFingerprint(h.info.httpPort)) === second.fingerprint, 10_000, 'the new certificate on HTTPS');
    expect(await peerFingerprint(h.info.rtmpsPort)).toBe(second.fingerprint);
    // A certificate with a key that is not its own (a botched renewal): logged, the working pair kept.
    const third = makeCert(dir, 'third');
    fs.copyFileSync(third.cert, live.cert);
    expect(h.room.reloadTls('test')).toBe(false);
    await new Promise((r) => setTimeout(r, 800)); // a few periodic checks
    expect(await peerFingerprint(h.info.httpPort)).toBe(second.fingerprint);
    expect(await peerFingerprint(h.info.rtmpsPort)).toBe(second.fingerprint);
    expect((await httpsGet(`${h.base}/api/channels/live`, second.cert)).status).toBe(200);
    expect(h.room.ingest!.isLive('live')).toBe(true);
  });
});

describe('TLS with http.publicUrl', () => {
  it('prints the public host, over TLS: https:// for viewers and rtmps:// on the RTMPS port for OBS', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'liveroom-tls-url-'));
    const cert = makeCert(dir, 'url');
    const h = await startLiveroom({ http: { tls: { cert: cert.cert, key: cert.key }, publicUrl: 'https://live.example.com/' } });
    try {
      expect(h.info.playerUrl).toBe('https://live.example.com/watch/live');
      expect(h.info.rtmpUrl).toBe(`rtmps://live.example.com:${h.info.rtmpsPort}/live`);
    } finally {
      await h.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops the start with one line when the key is not the certificate\'s', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'liveroom-tls-bad-'));
    const [a, b] = [makeCert(dir, 'a'), makeCert(dir, 'b')];
    try {
      await expect(startLiveroom({ http: { tls: { cert: a.cert, key: b.key } } })).rejects.toMatchObject({
        code: 'LR_TLS_CERT',
        message: expect.stringMatching(/cannot use the TLS certificate .*a-cert\.pem with the key .*b-key\.pem: .*key values mismatch/),
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('TLS in a real server process: printed URLs, the CLI over https, SIGHUP renewal', () => {
  let dir: string;
  let first: TestCert;
  let live: { cert: string; key: string };
  let s: ServerProcess;
  let token: string;

  beforeAll(async () => {
    ensureBuilt();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'liveroom-tls-proc-'));
    first = makeCert(dir, 'first');
    live = { cert: path.join(dir, 'live-cert.pem'), key: path.join(dir, 'live-key.pem') };
    installCert(first, live);
    s = await startServerProcess({ LIVEROOM_TLS_CERT: live.cert, LIVEROOM_TLS_KEY: live.key });
    token = fs.readFileSync(path.join(s.dataDir, 'admin-token'), 'utf8').trim();
  });

  afterAll(async () => {
    await s?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const httpPort = () => Number(new URL(s.base).port);
  const cliEnv = (extra: NodeJS.ProcessEnv = {}) => ({ ...process.env, LIVEROOM_CONFIG: '', LIVEROOM_SERVER: '', LIVEROOM_ADMIN_TOKEN: '', LIVEROOM_CA: '', ...extra });

  it('prints the rtmps:// OBS server and the https:// player', async () => {
    await until(() => /Player:/.test(s.log()), 5000, 'the start banner');
    expect(s.log()).toContain(`OBS server:  rtmps://127.0.0.1:${s.rtmpsPort}/live`);
    expect(s.log()).toContain(`Player:      https://127.0.0.1:${httpPort()}/watch/live`);
  });

  it('talks to the admin API over https with --ca or LIVEROOM_CA, and says what to do without it', async () => {
    const ok = await runCli(['--server', s.base, '--token', token, '--ca', live.cert, 'channels', 'list'], cliEnv());
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/live/);
    const viaEnv = await runCli(['--server', s.base, '--token', token, 'channels', 'list', '--json'], cliEnv({ LIVEROOM_CA: live.cert }));
    expect(viaEnv.code).toBe(0);
    const untrusted = await runCli(['--server', s.base, '--token', token, 'channels', 'list'], cliEnv());
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr).toMatch(/^liveroom: cannot verify the TLS certificate of https:\/\/127\.0\.0\.1:\d+ \(DEPTH_ZERO_SELF_SIGNED_CERT\): pass the server's certificate .*--ca FILE or LIVEROOM_CA/);
    // With no --server, the CLI finds the local server from the same settings, over https, trusting the certificate they name.
    const local = await runCli(['channels', 'list'], cliEnv({ LIVEROOM_DATA_DIR: s.dataDir, LIVEROOM_HTTP_PORT: String(httpPort()), LIVEROOM_TLS_CERT: live.cert, LIVEROOM_TLS_KEY: live.key }));
    expect(local.stderr).toBe('');
    expect(local.code).toBe(0);
  });

  it('refuses to send the admin token over plain http to a host that is not loopback, unless --insecure-http', async () => {
    const remote = `http://0.0.0.0:${httpPort()}`; // not a loopback name (it still reaches this machine)
    const refused = await runCli(['--server', remote, '--token', token, 'channels', 'list'], cliEnv());
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/refusing to send the admin token over plain http to 0\.0\.0\.0:\d+.*--insecure-http/);
    const forced = await runCli(['--server', remote, '--token', token, '--insecure-http', 'channels', 'list'], cliEnv());
    expect(forced.code).toBe(1); // let through; the TLS port does not speak plain http
    expect(forced.stderr).toMatch(/cannot reach the liveroom server/);
  });

  it('re-reads the certificate on SIGHUP: a new TLS connection gets the new one, the process keeps running', async () => {
    expect(await peerFingerprint(httpPort())).toBe(first.fingerprint);
    const second = makeCert(dir, 'second');
    installCert(second, live);
    s.proc.kill('SIGHUP');
    await until(async () => (await peerFingerprint(httpPort())) === second.fingerprint, 10_000, 'the new certificate after SIGHUP');
    expect(await peerFingerprint(s.rtmpsPort)).toBe(second.fingerprint);
    expect(s.proc.exitCode).toBeNull();
    expect((await httpsGet(`${s.base}/api/channels/live`, second.cert)).status).toBe(200);
  });
});
