/**
 * liveroom behind a real nginx, configured with the README's "Behind a
 * reverse proxy" block as written there (only the ports changed), and
 * http.trustedProxies ['127.0.0.1']: the chat, the HTTP limits and viewer
 * counts see the viewer's address from X-Forwarded-For; WebSockets, held
 * blocking requests and event streams pass through; a client that goes
 * around the proxy and forges X-Forwarded-For is known by its real address.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseMedia } from './helpers/m3u8';
import { publish, startLiveroom, STREAM_KEY, until, type Harness, type Publisher } from './helpers/liveroom-harness';
import { firstMediaUrl, get, joinChat, type ChatSocket } from './helpers/loopback-client';
import { startNginx, type Nginx } from './helpers/nginx';

/** The nginx block from the README, pointed at this test's ports. */
function readmeNginxBlock(upstreamPort: number): string {
  const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Behind a reverse proxy'));
  const block = /```nginx\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('no nginx block under "Behind a reverse proxy" in README.md');
  expect(block).toContain('listen 80;');
  expect(block).toContain('proxy_pass http://127.0.0.1:8000;');
  return block.replace('listen 80;', 'listen 127.0.0.1:{{PORT}};').replace('proxy_pass http://127.0.0.1:8000;', `proxy_pass http://127.0.0.1:${upstreamPort};`);
}

let h: Harness;
let nginx: Nginx;
let pub: Publisher;
const sockets: ChatSocket[] = [];

beforeAll(async () => {
  h = await startLiveroom({ transcoder: { defaultProfile: 'passthrough' }, http: { trustedProxies: ['127.0.0.1'] } });
  nginx = await startNginx(readmeNginxBlock(h.info.httpPort));
  pub = publish(`${h.rtmp}/${STREAM_KEY}`);
  await until(async () => (await fetch(`${nginx.url}/hls/live/master.m3u8`)).status === 200, 30_000, 'the stream to go live through nginx');
}, 60_000);

afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await pub?.stop();
  await nginx?.stop();
  await h?.stop();
});

const chatRowAddress = (userId: string) =>
  // The moderation store remembers each viewer's last address (for bans of viewers who have left).
  h.room.chat!.moderation.user(userId).then((u) => u?.address);

describe('behind nginx', () => {
  it('gives the chat the X-Forwarded-For address, not the proxy’s, over a proxied WebSocket', async () => {
    // The viewer (127.0.0.2) sends a forged entry too; nginx appends the address it saw, which is the one believed.
    const viaProxy = joinChat(nginx.url, { localAddress: '127.0.0.2', headers: { 'x-forwarded-for': '6.6.6.6' } });
    sockets.push(viaProxy.socket);
    const welcome = await viaProxy.welcome;
    expect(await chatRowAddress(welcome.you.id)).toBe('127.0.0.2');
    expect(h.room.chat!.socketsOpen('127.0.0.2')).toBe(1);
    expect(h.room.chat!.socketsOpen('127.0.0.1')).toBe(0);
    expect(h.room.chat!.socketsOpen('6.6.6.6')).toBe(0);
    expect(viaProxy.socket.io.engine.transport.name).toBe('websocket');
  });

  it('does not believe a client that goes around the proxy and forges X-Forwarded-For', async () => {
    const direct = joinChat(h.base, { localAddress: '127.0.0.3', headers: { 'x-forwarded-for': '198.51.100.1' } });
    sockets.push(direct.socket);
    const welcome = await direct.welcome;
    expect(await chatRowAddress(welcome.you.id)).toBe('127.0.0.3');
    expect(h.room.chat!.socketsOpen('198.51.100.1')).toBe(0);
  });

  it('passes held blocking requests, parts and event streams through, counted by the viewer’s address', async () => {
    const mediaUrl = await firstMediaUrl(nginx.url, 'live');
    const media = parseMedia(await (await fetch(mediaUrl)).text());
    const last = media.mediaSequence + media.segments.length - (media.trailingParts.length ? 0 : 1);
    const blocking = new URL(mediaUrl);
    blocking.searchParams.set('_HLS_msn', String(last + 2));
    const held = get(blocking.toString(), { localAddress: '127.0.0.4' });
    await until(() => h.room.heldRequests!.count('127.0.0.4') === 1, 5000, 'the request to be held under the viewer’s address');
    expect(await held.status).toBe(200);
    const answered = parseMedia(await held.body);
    expect(answered.mediaSequence + answered.segments.length - 1).toBeGreaterThanOrEqual(last + 2);
    // A part, through the proxy, resolved against the playlist it came from.
    const partUri = (answered.trailingParts[0] ?? answered.segments.at(-1)!.parts[0]).uri;
    const part = await fetch(new URL(partUri, mediaUrl));
    expect(part.status).toBe(200);
    expect((await part.arrayBuffer()).byteLength).toBeGreaterThan(0);

    // An event stream's first event arrives at once (proxy_buffering off), counted under the viewer.
    const events = get(`${nginx.url}/api/channels/live/events`, { localAddress: '127.0.0.5' });
    expect(await events.status).toBe(200);
    await until(() => h.room.eventStreams!.count('127.0.0.5') === 1, 3000, 'the stream under the viewer’s address');
    events.abort();
    await until(() => h.room.eventStreams!.count() === 0, 5000, 'nginx to close the upstream stream');
    expect(nginx.errorLog()).not.toMatch(/\[(error|crit|alert|emerg)\]/);
  });
});
