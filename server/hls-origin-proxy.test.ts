/**
 * The HLS proxy between nodes, over loopback HTTP: a stand-in origin (an
 * Express app that records what it was asked) and a front node with
 * originProxy in front of its own routes. The registry is faked (a claim
 * object); tests/cluster-nodes drives the real thing.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import pino from 'pino';
import type { OriginClaim } from '../cluster/origin-registry';
import { originProxy, PROXIED_HEADER, type OriginProxyDeps } from './hls-origin-proxy';

const log = pino({ level: 'silent' });

interface Seen {
  url: string;
  headers: http.IncomingHttpHeaders;
  closedEarly: boolean;
}

async function listen(app: express.Express): Promise<{ server: http.Server; base: string }> {
  const server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('originProxy', () => {
  const servers: http.Server[] = [];
  const seen: Seen[] = [];
  let originBase = '';
  let claim: OriginClaim | undefined;
  let local = false;
  let mode: OriginProxyDeps['mode'] = 'proxy';
  let frontBase = '';

  beforeAll(async () => {
    const origin = express();
    origin.get('/hls/live/b1/source/index.m3u8', (req, res) => {
      const s: Seen = { url: req.originalUrl, headers: req.headers, closedEarly: false };
      seen.push(s);
      res.once('close', () => (s.closedEarly = !res.writableFinished));
      if (req.query._HLS_msn === 'hang') return; // never answers
      // A blocking reload: answered after a while, in two chunks.
      setTimeout(() => {
        res.set({ 'Content-Type': 'application/vnd.apple.mpegurl', 'Cache-Control': 'public, max-age=6', 'X-Internal': 'no' });
        res.write('#EXTM3U\n');
        setTimeout(() => res.end(`#EXT-X-MEDIA-SEQUENCE:${req.query._HLS_msn}\n`), 20);
      }, 100);
    });
    origin.get('/hls/live/b1/source/gone.m4s', (_req, res) => res.status(404).set('Cache-Control', 'no-store').json({ error: { code: 'LR_HLS_NOT_FOUND' } }));
    const o = await listen(origin);
    servers.push(o.server);
    originBase = o.base;

    const front = express();
    front.use(
      '/hls',
      originProxy({
        self: 'front',
        remoteOrigin: () => claim,
        route: (req: express.Request) => {
          const segs = req.path.split('/').filter(Boolean);
          return segs.length >= 2 ? { channel: segs[0], broadcast: segs.length >= 3 ? segs[1] : undefined } : undefined;
        },
        servesLocally: () => local,
        get mode() {
          return mode;
        },
        timeoutMs: 500,
        log,
      }),
      (_req, res) => void res.status(404).send('local'),
    );
    const f = await listen(front);
    servers.push(f.server);
    frontBase = f.base;
  });

  beforeEach(() => {
    claim = { channel: 'live', node: 'a', url: originBase, publicUrl: 'https://a.example', since: 1, publishId: 'p', publishing: true };
    local = false;
    mode = 'proxy';
    seen.length = 0;
  });

  afterAll(async () => {
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  });

  it('passes the query string, streams the answer back with its status and Cache-Control, and marks the request', async () => {
    const res = await fetch(`${frontBase}/hls/live/b1/source/index.m3u8?_HLS_msn=42&_HLS_part=1`, { headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:42\n');
    expect(res.headers.get('cache-control')).toBe('public, max-age=6');
    expect(res.headers.get('content-type')).toMatch(/^application\/vnd\.apple\.mpegurl/);
    expect(res.headers.get('x-internal')).toBeNull(); // only the headers players and caches read
    expect(seen[0].url).toBe('/hls/live/b1/source/index.m3u8?_HLS_msn=42&_HLS_part=1');
    expect(seen[0].headers[PROXIED_HEADER]).toBe('front');
    expect(seen[0].headers['x-forwarded-for']).toBe('203.0.113.9, 127.0.0.1');

    const gone = await fetch(`${frontBase}/hls/live/b1/source/gone.m4s`);
    expect(gone.status).toBe(404);
    expect(gone.headers.get('cache-control')).toBe('no-store');
    expect(await gone.json()).toEqual({ error: { code: 'LR_HLS_NOT_FOUND' } });
  });

  it('answers locally what this node has, what no other node claims, and what another node asks', async () => {
    local = true;
    expect(await (await fetch(`${frontBase}/hls/live/b1/source/index.m3u8`)).text()).toBe('local');
    local = false;
    claim = undefined;
    expect(await (await fetch(`${frontBase}/hls/live/b1/source/index.m3u8`)).text()).toBe('local');
    claim = { channel: 'live', node: 'front', url: originBase, publicUrl: originBase, since: 1, publishId: 'p', publishing: true };
    expect(await (await fetch(`${frontBase}/hls/live/b1/source/index.m3u8`)).text()).toBe('local'); // its own claim
    claim = { channel: 'live', node: 'a', url: originBase, publicUrl: originBase, since: 1, publishId: 'p', publishing: true };
    expect(await (await fetch(`${frontBase}/hls/live/b1/source/index.m3u8`, { headers: { [PROXIED_HEADER]: 'b' } })).text()).toBe('local'); // one hop only
    expect(seen).toHaveLength(0);
  });

  it('redirects to the origin public URL in redirect mode', async () => {
    mode = 'redirect';
    const res = await fetch(`${frontBase}/hls/live/b1/source/index.m3u8?_HLS_msn=3`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('https://a.example/hls/live/b1/source/index.m3u8?_HLS_msn=3');
    expect(seen).toHaveLength(0);
  });

  it('answers 504 when the origin sends nothing in time, 502 at once when it cannot be reached', async () => {
    const slow = await fetch(`${frontBase}/hls/live/b1/source/index.m3u8?_HLS_msn=hang`);
    expect(slow.status).toBe(504);
    expect(((await slow.json()) as { error: { code: string } }).error.code).toBe('LR_HLS_ORIGIN_TIMEOUT');
    expect(slow.headers.get('cache-control')).toBe('no-store');
    // The origin's request was given up too.
    await new Promise((r) => setTimeout(r, 100));
    expect(seen[0].closedEarly).toBe(true);

    claim = { channel: 'live', node: 'dead', url: 'http://127.0.0.1:1', publicUrl: 'http://127.0.0.1:1', since: 1, publishId: 'p', publishing: true };
    const down = await fetch(`${frontBase}/hls/live/master.m3u8`);
    expect(down.status).toBe(502);
    const body = (await down.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('LR_HLS_ORIGIN_UNREACHABLE');
    expect(body.error.message).toMatch(/node 'dead'.*ECONNREFUSED/);
  });

  it("cancels the origin's request when the viewer goes away (a held blocking reload is released there)", async () => {
    const abort = new AbortController();
    const pending = fetch(`${frontBase}/hls/live/b1/source/index.m3u8?_HLS_msn=hang`, { signal: abort.signal }).catch((e: Error) => e);
    for (let i = 0; i < 50 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(seen).toHaveLength(1);
    abort.abort();
    await pending;
    for (let i = 0; i < 50 && !seen[0].closedEarly; i++) await new Promise((r) => setTimeout(r, 10));
    expect(seen[0].closedEarly).toBe(true);
  });
});
