/**
 * Prometheus metrics through the real parts: the server in process, a real
 * ffmpeg publisher, HLS requests and a chat over loopback, then /metrics
 * scraped over HTTP and read with a strict text-format parser. The sample
 * Grafana dashboard may only query series the server exports.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { io as ioClient, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, SendAck, ServerToClientEvents } from '../chat/chat-events';
import { getText, publish, renditionUrl, startLiveroom, STREAM_KEY, until, type Harness, type Publisher } from './helpers/liveroom-harness';
import { parseMedia } from './helpers/m3u8';
import { parsePrometheusText, type Exposition } from './helpers/prometheus-text';

jest.setTimeout(120_000);

const TOKEN = 'metrics-token-for-tests-0001';
type Client = Socket<ServerToClientEvents, ClientToServerEvents>;

async function scrape(url: string, token = TOKEN): Promise<Exposition> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(await res.text());
}

describe('GET /metrics', () => {
  let h: Harness;
  let pub: Publisher | undefined;
  let chat: Client | undefined;
  const metricsUrl = () => `${h.base}/metrics`;

  beforeAll(async () => {
    h = await startLiveroom({ metrics: { token: TOKEN }, transcoder: { defaultProfile: 'passthrough' } });
  });
  afterAll(async () => {
    chat?.disconnect();
    await pub?.stop();
    await h?.stop();
  });

  it('needs the metrics token when one is set: 401 with a catalog code without it or with a wrong one', async () => {
    const none = await fetch(metricsUrl());
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="liveroom-metrics"');
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe('LR_METRICS_UNAUTHORIZED');
    const wrong = await fetch(metricsUrl(), { headers: { authorization: 'Bearer not-the-metrics-token' } });
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { error: unknown }).error).toMatchObject({ code: 'LR_METRICS_UNAUTHORIZED', message: expect.stringMatching(/token is wrong/) });
    const m = await scrape(metricsUrl());
    expect(m.value('process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(m.types.get('nodejs_eventloop_lag_seconds')).toBe('gauge');
  });

  it('counts what a real publish, real HLS requests and a real chat did', async () => {
    // A refused publish first (wrong key), then the real one.
    const bad = publish(`${h.rtmp}/not-the-key`, { seconds: 20 });
    await bad.exited;
    pub = publish(`${h.rtmp}/${STREAM_KEY}`);
    const url = await until(() => renditionUrl(h.base, 'source'), 30_000, 'the source rendition');
    const pl = await until(async () => {
      const r = await getText(url);
      const p = r.status === 200 ? parseMedia(r.text) : undefined;
      return p && p.segments.length >= 3 && p;
    }, 30_000, 'three segments');

    // HLS requests of every kind, counted as they are made.
    const made: Record<string, number> = { multivariant: 0, playlist: 0, 'blocking-playlist': 0, part: 0, segment: 0, init: 0 };
    const get = async (kind: string, u: string) => {
      const r = await fetch(u);
      await r.arrayBuffer();
      expect(r.status).toBe(200);
      made[kind]++;
    };
    const last = pl.segments.at(-1)!;
    await get('multivariant', `${h.base}/hls/live/master.m3u8`);
    await get('playlist', url);
    await get('playlist', url);
    await get('blocking-playlist', `${url}?_HLS_msn=${last.msn + 1}`);
    await get('init', new URL(last.map!, url).href);
    await get('segment', new URL(last.uri, url).href);
    await get('part', new URL(last.parts[0].uri, url).href);
    await get('part', new URL(last.parts[1].uri, url).href);

    // A request held open shows in the held gauge while it waits.
    const later = parseMedia((await getText(url)).text);
    const held = fetch(`${url}?_HLS_msn=${later.segments.at(-1)!.msn + 2}`).then((r) => r.text());
    await until(async () => (await scrape(metricsUrl())).value('liveroom_hls_held_requests')! >= 1, 5000, 'a held request in the gauge');
    await held;

    // Chat: two messages accepted, one refused (empty).
    chat = ioClient(h.base, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      auth: { channel: 'live', identity: crypto.randomBytes(16).toString('base64url'), name: 'tester' },
    });
    await new Promise<void>((resolve, reject) => {
      chat!.once('welcome', () => resolve());
      chat!.once('connect_error', reject);
    });
    const send = (text: string) => new Promise<SendAck>((resolve) => chat!.emit('send', { text }, resolve));
    expect((await send('hello')).ok).toBe(true);
    expect((await send('second one')).ok).toBe(true);
    expect(await send('   ')).toMatchObject({ ok: false, error: { code: 'LR_CHAT_EMPTY' } });

    const m = await until(async () => {
      const x = await scrape(metricsUrl());
      return (x.value('liveroom_ingest_bitrate_kbps', { channel: 'live' }) ?? 0) > 0 && x;
    }, 10_000, 'an ingest bitrate');
    expect(m.value('liveroom_channel_live', { channel: 'live' })).toBe(1);
    expect(m.value('liveroom_publishes_total', { channel: 'live' })).toBe(1);
    expect(m.value('liveroom_rtmp_refused_total', { reason: 'unknown-key' })).toBeGreaterThanOrEqual(1);
    expect(m.value('liveroom_ingest_frame_rate', { channel: 'live' })).toBe(30);
    const segments = m.value('liveroom_hls_segments_total', { channel: 'live', rendition: 'source' })!;
    expect(segments).toBeGreaterThanOrEqual(3);
    expect(m.value('liveroom_hls_parts_total', { channel: 'live', rendition: 'source' })).toBeGreaterThan(segments);
    for (const [kind, n] of Object.entries(made)) {
      expect(m.value('liveroom_hls_request_duration_seconds_count', { kind, status: '200' })).toBeGreaterThanOrEqual(n);
    }
    expect(m.find('liveroom_hls_request_duration_seconds_bucket', { kind: 'blocking-playlist', status: '200', le: '+Inf' })).toHaveLength(1);
    expect(m.value('liveroom_hls_held_requests')).toBe(0);
    expect(m.value('liveroom_chat_messages_total', { channel: 'live', kind: 'chat' })).toBe(2);
    expect(m.value('liveroom_chat_refusals_total', { code: 'LR_CHAT_EMPTY' })).toBe(1);
    expect(m.value('liveroom_viewers', { channel: 'live', kind: 'chat' })).toBe(1);
    expect(m.value('liveroom_chat_connections')).toBe(1);
    expect(m.value('liveroom_transcoder_dropped_frames_total', { channel: 'live', track: 'video' })).toBe(0);

    // The publisher leaves: the channel goes offline and the publish is counted as ended.
    await pub.stop();
    pub = undefined;
    const after = await until(async () => {
      const x = await scrape(metricsUrl());
      return x.value('liveroom_channel_live', { channel: 'live' }) === 0 && x;
    }, 15_000, 'the channel offline');
    expect(after.value('liveroom_publishes_ended_total', { channel: 'live', reason: 'publisher-left' })).toBe(1);
  });

  it('ships a Grafana dashboard that queries only series the server exports', async () => {
    const m = await scrape(metricsUrl());
    const exported = new Set<string>();
    for (const [name, type] of m.types) {
      exported.add(name);
      if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) exported.add(name + s);
    }
    const dashboard = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'deploy', 'grafana-dashboard.json'), 'utf8'));
    const exprs: string[] = [];
    const walk = (node: unknown) => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === 'object') {
        for (const [k, v] of Object.entries(node)) {
          if (k === 'expr' || k === 'query') {
            if (typeof v === 'string') exprs.push(v);
            else if (v && typeof v === 'object' && typeof (v as { query?: unknown }).query === 'string') exprs.push((v as { query: string }).query);
          } else walk(v);
        }
      }
    };
    walk(dashboard);
    expect(exprs.length).toBeGreaterThanOrEqual(10);
    const used = new Set(exprs.flatMap((e) => e.match(/\b(?:liveroom|process|nodejs)_[a-z0-9_]+/g) ?? []));
    for (const name of used) expect({ name, exported: exported.has(name) }).toEqual({ name, exported: true });
    // Every liveroom_ family is on the dashboard somewhere.
    const families = [...m.types.keys()].filter((n) => n.startsWith('liveroom_'));
    for (const f of families) expect({ f, shown: [...used].some((u) => u.startsWith(f)) }).toEqual({ f, shown: true });
  });
});

describe('metrics on a listener of their own', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startLiveroom({ metrics: { port: 0, host: '127.0.0.1' } });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it("serves /metrics on 'metrics.port' only, without a token when none is set", async () => {
    expect(h.info.metricsPort).toBeGreaterThan(0);
    expect(h.info.metricsPort).not.toBe(h.info.httpPort);
    expect((await fetch(`${h.base}/metrics`)).status).toBe(404);
    const res = await fetch(`http://127.0.0.1:${h.info.metricsPort}/metrics`);
    expect(res.status).toBe(200);
    const m = parsePrometheusText(await res.text());
    expect(m.value('liveroom_channel_live', { channel: 'live' })).toBe(0);
    expect(m.value('liveroom_viewers', { channel: 'live', kind: 'player' })).toBe(0);
    expect((await fetch(`http://127.0.0.1:${h.info.metricsPort}/hls/live/master.m3u8`)).status).toBe(404);
  });

  it('is gone when the server stops: the listener closed', async () => {
    const port = h.info.metricsPort;
    await h.stop();
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
    h = undefined as unknown as Harness;
  });
});
