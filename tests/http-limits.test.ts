/**
 * Per-address HTTP limits through the real server on loopback, with a live
 * stream from a real ffmpeg publisher: held blocking requests capped and
 * released when their clients go away, status event streams capped, viewer
 * counts that one address cannot inflate, security headers. 127.0.0.1 is the
 * trusted proxy; 127.0.0.2 and .3 are direct clients (their forged
 * X-Forwarded-For is not believed).
 */
import { parseMedia } from './helpers/m3u8';
import { publish, startLiveroom, STREAM_KEY, until, type Harness, type Publisher } from './helpers/liveroom-harness';
import { firstMediaUrl, get, joinChat, type ChatSocket, type Held } from './helpers/loopback-client';

const CAP = 32;
let h: Harness;
let pub: Publisher;
const sockets: ChatSocket[] = [];

beforeAll(async () => {
  h = await startLiveroom({
    transcoder: { defaultProfile: 'passthrough' },
    // 4 s segments and a 40 s blocking timeout: a request for the segment after next stays held for seconds.
    hls: { segmentTarget: 4, blockingTimeoutTargets: 10 },
    http: { trustedProxies: ['127.0.0.1'], frameAncestors: "'self' https://blog.example" },
  });
  pub = publish(`${h.rtmp}/${STREAM_KEY}`);
  await until(async () => (await fetch(`${h.base}/hls/live/master.m3u8`)).status === 200, 30_000, 'the stream to go live');
}, 60_000);

afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await pub?.stop();
  await h?.stop();
});

/** The media playlist now, and the MSN of the segment after next (held for at least one segment duration). */
async function farTarget(mediaUrl: string): Promise<{ url: string; msn: number }> {
  const media = parseMedia(await (await fetch(mediaUrl)).text());
  const last = media.mediaSequence + media.segments.length - (media.trailingParts.length ? 0 : 1);
  const msn = last + 2;
  const url = new URL(mediaUrl);
  url.searchParams.set('_HLS_msn', String(msn));
  return { url: url.toString(), msn };
}

describe('held blocking requests', () => {
  it('holds at most the cap per address (forged X-Forwarded-For or not), answers the rest 429, and holds none once the clients abort', async () => {
    const held = h.room.heldRequests!;
    const mediaUrl = await until(async () => {
      const url = await firstMediaUrl(h.base, 'live');
      const media = parseMedia(await (await fetch(url)).text());
      return media.segments.length + media.trailingParts.length > 0 && url;
    }, 30_000, 'a media playlist with parts');
    const { url, msn } = await farTarget(mediaUrl);

    const flood: Held[] = Array.from({ length: 500 }, (_, i) =>
      get(url, { localAddress: '127.0.0.2', headers: { 'x-forwarded-for': `203.0.113.${i % 250}` } }),
    );
    const answered: number[] = [];
    flood.forEach((r) => void r.status.then((s) => answered.push(s)));
    await until(() => answered.length >= 500 - CAP, 30_000, '468 answers');
    expect(answered.filter((s) => s === 429)).toHaveLength(500 - CAP);
    expect(held.count('127.0.0.2')).toBe(CAP);
    expect(held.count()).toBe(CAP);
    // A 429 says when to come back and why.
    const one = get(url, { localAddress: '127.0.0.2' });
    expect(await one.status).toBe(429);
    expect((await one.headers)['retry-after']).toBe('1');
    expect(JSON.parse(await one.body)).toMatchObject({ error: { code: 'LR_HTTP_TOO_MANY_HELD' } });

    // Another address is not held up by the first; through the trusted proxy, the forwarded address counts.
    const other = get(url, { localAddress: '127.0.0.3' });
    const proxied = get(url, { localAddress: '127.0.0.1', headers: { 'x-forwarded-for': '6.6.6.6, 198.51.100.7' } });
    await until(() => held.count('127.0.0.3') === 1 && held.count('198.51.100.7') === 1, 5000, 'the other clients to be held');
    expect(held.count('127.0.0.1')).toBe(0);

    for (const r of [...flood, other, proxied]) r.abort();
    await until(() => held.count() === 0, 3000, 'every held request to be released');
    // Released by the aborts, not answered: the segment they wait for is not there yet.
    const now = parseMedia(await (await fetch(mediaUrl)).text());
    expect(now.mediaSequence + now.segments.length - 1).toBeLessThan(msn);
  });
});

describe('status event streams', () => {
  const eventsUrl = () => `${h.base}/api/channels/live/events`;

  it('caps streams per address with 429, and counts one address once in the public viewer count', async () => {
    const reader = joinChat(h.base, { localAddress: '127.0.0.9' });
    sockets.push(reader.socket);
    expect((await reader.welcome).viewers).toBe(1); // the reader itself

    const streams = Array.from({ length: 200 }, (_, i) =>
      get(eventsUrl(), { localAddress: '127.0.0.2', headers: { 'x-forwarded-for': `203.0.113.${i}` } }),
    );
    const statuses = await Promise.all(streams.map((s) => s.status));
    expect(statuses.filter((s) => s === 200)).toHaveLength(4);
    expect(statuses.filter((s) => s === 429)).toHaveLength(196);
    const refused = streams[statuses.indexOf(429)];
    expect((await refused.headers)['retry-after']).toBe('5');
    expect(JSON.parse(await refused.body)).toMatchObject({ error: { code: 'LR_HTTP_TOO_MANY_EVENT_STREAMS' } });
    expect(h.room.eventStreams!.count('127.0.0.2')).toBe(4);

    // Four streams from one address are one viewer; another address is another.
    const second = get(eventsUrl(), { localAddress: '127.0.0.3' });
    expect(await second.status).toBe(200);
    const late = joinChat(h.base, { localAddress: '127.0.0.8' });
    sockets.push(late.socket);
    expect((await late.welcome).viewers).toBe(4); // two chat readers, two player addresses

    // Closed streams give their slots back.
    for (const s of [...streams, second]) s.abort();
    await until(() => h.room.eventStreams!.count() === 0, 3000, 'streams to be released');
    const again = get(eventsUrl(), { localAddress: '127.0.0.2' });
    expect(await again.status).toBe(200);
    again.abort();
    await until(() => h.room.chat!.viewerCount('live') === 2, 3000, 'the count back to the two readers');
  });
});

describe('security headers', () => {
  it('sends nosniff and a referrer policy everywhere, and a CSP with the configured frame-ancestors on pages', async () => {
    for (const path of ['/watch/live', '/api/channels/live', '/hls/live/master.m3u8', '/no/such/path', '/socket.io/?EIO=4&transport=polling']) {
      const res = await fetch(`${h.base}${path}`);
      await res.arrayBuffer();
      expect([path, res.headers.get('x-content-type-options')]).toEqual([path, 'nosniff']);
      expect([path, res.headers.get('referrer-policy')]).toEqual([path, 'strict-origin-when-cross-origin']);
    }
    const page = await fetch(`${h.base}/watch/live`);
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("frame-ancestors 'self' https://blog.example");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    // HLS stays open to other sites' players.
    expect((await fetch(`${h.base}/hls/live/master.m3u8`)).headers.get('access-control-allow-origin')).toBe('*');
  });
});
