import http from 'node:http';
import type { ChatMessage, SendAck } from './chat-events';
import { collect, newIdentity, nextEvent, request, sleep, startChat, type ChatKit, type ChatConfigInput } from './chat-test-kit';

describe('ChatServer over real Socket.IO', () => {
  let kit: ChatKit;
  const start = async (config: ChatConfigInput = {}) => {
    kit = await startChat(config);
    return kit;
  };
  afterEach(async () => {
    await kit?.close();
  });

  const sent = (ack: SendAck): ChatMessage => {
    if (!ack.ok) throw new Error(`send refused: ${ack.error.code} ${ack.error.message}`);
    return ack.message;
  };

  it('stores a message before acknowledging it, then broadcasts it to the rest of the room only', async () => {
    await start();
    const { socket: alice } = await kit.join({ name: 'Alice' });
    const { socket: bob } = await kit.join({ name: 'Bob' });
    const { socket: carol } = await kit.join({ name: 'Carol', channel: 'other' });
    const { socket: dave } = await kit.join({ name: 'Dave', channel: 'other' });
    const aliceGot = collect(alice, 'message');
    const carolGot = collect(carol, 'message');
    const inDbWhenBobSawIt = new Promise<boolean>((resolve) =>
      bob.once('message', (m) => resolve(kit.db.prepare('SELECT 1 FROM chat_messages WHERE id = ?').get(m.id) !== undefined)),
    );
    const bobGets = nextEvent(bob, 'message');

    const before = kit.clock.now;
    const message = sent(await request(alice, 'send', { text: '  hello <b>room</b>\n' }));
    expect(message).toMatchObject({ kind: 'chat', channel: 'live', text: 'hello <b>room</b>', author: { name: 'Alice', role: 'viewer' } });
    expect(message.id).toMatch(/^[A-Za-z0-9_-]{12}$/);
    expect(message.ts).toBe(before);
    expect(message.author.id).toMatch(/^[0-9a-f]{24}$/);
    const row = kit.db.prepare('SELECT text, author_name FROM chat_messages WHERE id = ?').get(message.id);
    expect(row).toEqual({ text: 'hello <b>room</b>', author_name: 'Alice' });

    expect(await bobGets).toEqual(message);
    expect(await inDbWhenBobSawIt).toBe(true);

    // Another room hears nothing of it: Dave's later message is the only one Carol sees.
    const carolGets = nextEvent(carol, 'message');
    const daves = sent(await request(dave, 'send', { text: 'other room' }));
    expect(await carolGets).toEqual(daves);
    await sleep(50);
    expect(carolGot.map((m) => m.text)).toEqual(['other room']);
    expect(aliceGot).toEqual([]); // the sender has it from the ack
  });

  it('gives a newcomer the recent history, oldest first, with the configured count', async () => {
    await start({ historyCount: 3 });
    const { socket: alice } = await kit.join({ name: 'Alice' });
    for (let i = 1; i <= 5; i++) {
      sent(await request(alice, 'send', { text: `m${i}` }));
      kit.clock.advance(1000);
    }
    sent(await request((await kit.join({ channel: 'other' })).socket, 'send', { text: 'elsewhere' }));
    const { welcome } = await kit.join({ name: 'Newcomer' });
    expect(welcome.history.map((m) => m.text)).toEqual(['m3', 'm4', 'm5']);
    expect(welcome).toMatchObject({ channel: 'live', you: { name: 'Newcomer', role: 'viewer' }, readOnly: false, limits: { maxMessageLength: 300 } });
  });

  it('carries danmaku mode and colour, with defaults, and rejects colours outside the palette', async () => {
    await start();
    const { socket: alice } = await kit.join();
    const { socket: bob } = await kit.join();
    const got = nextEvent(bob, 'message');
    const m = sent(await request(alice, 'send', { text: '666', kind: 'danmaku', mode: 'top', color: '#fe0302' }));
    expect(m).toMatchObject({ kind: 'danmaku', mode: 'top', color: '#fe0302' });
    expect(await got).toEqual(m);
    kit.clock.advance(1000);
    expect(sent(await request(alice, 'send', { text: 'plain bullet', kind: 'danmaku' }))).toMatchObject({ mode: 'scroll', color: '#ffffff' });
    const bad = await request(alice, 'send', { text: 'x', kind: 'danmaku', color: 'red; background:url(x)' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'LR_CHAT_INVALID' } });
    const long = await request(alice, 'send', { text: 'x'.repeat(61), kind: 'danmaku' });
    expect(long).toMatchObject({ ok: false, error: { code: 'LR_CHAT_TOO_LONG' } });
    expect(kit.db.prepare("SELECT COUNT(*) AS n FROM chat_messages WHERE kind = 'danmaku'").get()).toEqual({ n: 2 });
  });

  it('enforces the per-connection message rate with a clear notice, and lets the bucket refill', async () => {
    await start({ messageBurst: 3, messagesPerSecond: 1 });
    const { socket } = await kit.join();
    for (let i = 0; i < 3; i++) expect((await request(socket, 'send', { text: `burst ${i}` })).ok).toBe(true);
    const limited = await request(socket, 'send', { text: 'one too many' });
    expect(limited).toEqual({
      ok: false,
      error: { code: 'LR_CHAT_RATE_LIMITED', message: 'You are sending messages too fast; wait 1 s.', retryAfterMs: 1000 },
    });
    expect(kit.db.prepare("SELECT COUNT(*) AS n FROM chat_messages WHERE text = 'one too many'").get()).toEqual({ n: 0 });
    kit.clock.advance(1000);
    expect((await request(socket, 'send', { text: 'after a second' })).ok).toBe(true);
  });

  it('enforces the message length and refuses empty messages', async () => {
    await start({ maxMessageLength: 10, maxDanmakuLength: 5 });
    const { socket } = await kit.join();
    expect(await request(socket, 'send', { text: 'x'.repeat(11) })).toMatchObject({
      ok: false,
      error: { code: 'LR_CHAT_TOO_LONG', message: 'Messages are limited to 10 characters; yours has 11.' },
    });
    expect((await request(socket, 'send', { text: '😀'.repeat(10) })).ok).toBe(true); // characters, not UTF-16 units
    expect(await request(socket, 'send', { text: ' \n\t\u202e ' })).toMatchObject({ ok: false, error: { code: 'LR_CHAT_EMPTY' } });
  });

  it('aggregates likes: a hundred taps become a few count events with the right total', async () => {
    await start({ likeBroadcastMs: 200 });
    const { socket: watcher } = await kit.join();
    const counts = collect(watcher, 'likes');
    const tappers = await Promise.all([1, 2, 3, 4].map(() => kit.join()));
    // 100 taps spread over ~400 ms, as people tap: about two broadcast intervals' worth.
    const began = Date.now();
    for (let i = 0; i < 25; i++) {
      for (const { socket } of tappers) socket.emit('like', 1);
      await sleep(16);
    }
    const tapping = Date.now() - began;
    // The event with the total may already have come during the last sleep: look in what was collected.
    for (const until = Date.now() + 3000; !counts.some((l) => l.total === 100); await sleep(20)) {
      if (Date.now() > until) throw new Error(`no 'likes' event with total 100 within 3000 ms: ${JSON.stringify(counts)}`);
    }
    await sleep(500); // nothing more should come
    // One event per 200 ms interval that saw taps (plus the partial ones at either end), not one per tap.
    expect(counts.length).toBeGreaterThanOrEqual(1);
    expect(counts.length).toBeLessThanOrEqual(Math.ceil(tapping / 200) + 2);
    expect(counts.length).toBeLessThan(10);
    expect(counts.reduce((sum, l) => sum + l.delta, 0)).toBe(100);
    expect(counts[counts.length - 1]).toEqual({ channel: 'live', total: 100, delta: counts[counts.length - 1].delta });
    const { welcome } = await kit.join();
    expect(welcome.likes).toBe(100);
    // Taps beyond a connection's like bucket (30 by default) are dropped silently.
    const { socket: greedy } = await kit.join();
    for (let i = 0; i < 40; i++) greedy.emit('like', 1);
    const next = await nextEvent(watcher, 'likes');
    expect(next.delta).toBe(30);
  });

  it('broadcasts the viewer count: distinct chat browsers plus players, overlays excluded', async () => {
    await start({ viewerCountMs: 100 });
    const alice = newIdentity();
    const { socket: aliceTab1 } = await kit.join({ identity: alice });
    await kit.join({ identity: alice }); // a second tab of the same browser
    const { socket: bob } = await kit.join();
    await kit.join({ overlay: true, name: 'OBS' });
    const release = kit.chat.addPlayer('live', '203.0.113.9');
    expect((await nextEvent(aliceTab1, 'viewers', (v) => v.count === 3)).channel).toBe('live');
    expect(kit.chat.viewerCount('live')).toBe(3);
    release();
    release(); // idempotent
    bob.disconnect();
    await nextEvent(aliceTab1, 'viewers', (v) => v.count === 1);
    const { welcome } = await kit.join();
    expect(welcome.viewers).toBe(2);
  });

  it('ignores malformed payloads and keeps serving', async () => {
    await start();
    const { socket: mallory } = await kit.join({ name: 'Mallory' });
    const { socket: alice } = await kit.join();
    const { socket: bob } = await kit.join();
    for (const payload of [null, 42, 'text', [], { text: {} }, { text: 'x', kind: 'evil' }, { text: 'x', extra: 1 }, JSON.parse('{"text":"x","__proto__":{"kind":"danmaku"}}')]) {
      expect(await request(mallory, 'send', payload)).toMatchObject({ ok: false, error: { code: 'LR_CHAT_INVALID' } });
    }
    expect(await request(mallory, 'rename', '\u0007bell')).toMatchObject({ ok: false, error: { code: 'LR_CHAT_INVALID' } });
    expect(await request(mallory, 'moderate', { action: 'nuke' })).toMatchObject({ ok: false, error: { code: 'LR_CHAT_FORBIDDEN' } });
    // No ack, wrong arity, unknown events, bogus likes: nothing comes back and nothing breaks.
    mallory.emit('send', { text: 'no ack' } as never, undefined as never);
    (mallory as unknown as { emit(...a: unknown[]): void }).emit('send');
    (mallory as unknown as { emit(...a: unknown[]): void }).emit('no-such-event', { a: 1 });
    (mallory as unknown as { emit(...a: unknown[]): void }).emit('like', 'a lot');
    mallory.emit('like', 1e9);
    mallory.emit('like', -5);
    await sleep(100);
    expect(kit.db.prepare('SELECT COUNT(*) AS n FROM chat_messages').get()).toEqual({ n: 0 });
    expect(await request(alice, 'moderate', { action: 'list-blocked-words' })).toMatchObject({ ok: false });

    // A packet that is not Socket.IO at all closes only that connection.
    const gone = nextEvent(mallory, 'disconnect' as never, () => true);
    (mallory.io.engine as unknown as { send(s: string): void }).send('42["send",{"text":');
    await gone;
    const got = nextEvent(bob, 'message');
    sent(await request(alice, 'send', { text: 'still here' }));
    expect((await got).text).toBe('still here');
  });

  it('closes a connection that sends an oversized packet; others are unaffected', async () => {
    await start({ maxPacketBytes: 4096, maxMessageLength: 500 });
    const { socket: big } = await kit.join();
    const { socket: alice } = await kit.join();
    const { socket: bob } = await kit.join();
    const closed = new Promise<string>((resolve) => big.on('disconnect', (reason) => resolve(reason)));
    big.emit('send', { text: 'x'.repeat(100_000) }, () => {});
    expect(await closed).toBe('transport close');
    const got = nextEvent(bob, 'message');
    sent(await request(alice, 'send', { text: 'fine' }));
    expect((await got).text).toBe('fine');
    await kit.join(); // new connections still work
  });

  it('validates the handshake with clear errors', async () => {
    await start();
    const ok = { channel: 'live', identity: newIdentity(), name: 'Alice' };
    expect(await kit.refused(undefined)).toMatchObject({ code: 'LR_CHAT_BAD_HANDSHAKE' });
    expect(await kit.refused({ ...ok, channel: 'nope' })).toEqual({ code: 'LR_CHAT_NO_CHANNEL', message: "There is no channel 'nope'." });
    expect(await kit.refused({ ...ok, identity: 'short' })).toMatchObject({ code: 'LR_CHAT_BAD_HANDSHAKE', message: expect.stringContaining('identity') });
    expect(await kit.refused({ ...ok, name: '' })).toMatchObject({ code: 'LR_CHAT_BAD_HANDSHAKE', message: expect.stringContaining('1 to 32') });
    expect(await kit.refused({ ...ok, name: 'x'.repeat(33) })).toMatchObject({ code: 'LR_CHAT_BAD_HANDSHAKE' });
    expect(await kit.refused({ ...ok, name: 'evil\u202Eeman' })).toMatchObject({ code: 'LR_CHAT_BAD_HANDSHAKE', message: expect.stringContaining('control') });
    expect(await kit.refused({ ...ok, name: 'line\nbreak' })).toMatchObject({ code: 'LR_CHAT_BAD_HANDSHAKE' });
    expect(await kit.refused({ ...ok, token: 'lrm_not-a-real-token' })).toMatchObject({ code: 'LR_CHAT_BAD_TOKEN' });
    const { welcome } = await kit.join({ ...ok, name: '  Ünïcødé 名前 😀 ' });
    expect(welcome.you.name).toBe('Ünïcødé 名前 😀');
  });

  it('gives moderators and the streamer their badge, and drops a revoked moderator', async () => {
    await start();
    const { token, info } = await kit.tokens.create('live', 'Mia');
    const { socket: mod, welcome } = await kit.join({ name: 'Mia', token });
    expect(welcome.you.role).toBe('moderator');
    expect(sent(await request(mod, 'send', { text: 'hi' })).author.role).toBe('moderator');
    const { welcome: streamerWelcome } = await kit.join({ name: 'Host', token: kit.streamerToken });
    expect(streamerWelcome.you.role).toBe('streamer');
    expect(await kit.refused({ channel: 'other', identity: newIdentity(), name: 'Mia', token })).toMatchObject({ code: 'LR_CHAT_BAD_TOKEN' });

    expect((await request(mod, 'moderate', { action: 'list-blocked-words' })).ok).toBe(true);
    await kit.tokens.revoke(info.id);
    expect(await request(mod, 'moderate', { action: 'list-blocked-words' })).toMatchObject({ ok: false, error: { code: 'LR_CHAT_FORBIDDEN' } });
    kit.clock.advance(1000);
    expect(sent(await request(mod, 'send', { text: 'demoted' })).author.role).toBe('viewer');
    expect(await kit.refused({ channel: 'live', identity: newIdentity(), name: 'Mia', token })).toMatchObject({ code: 'LR_CHAT_BAD_TOKEN' });
  });

  it('lets a viewer change name; later messages carry it', async () => {
    await start();
    const { socket } = await kit.join({ name: 'Before' });
    expect(await request(socket, 'rename', 'After')).toMatchObject({ ok: true, you: { name: 'After', role: 'viewer' } });
    expect(sent(await request(socket, 'send', { text: 'x' })).author.name).toBe('After');
    expect(await request(socket, 'rename', '   ')).toMatchObject({ ok: false, error: { code: 'LR_CHAT_INVALID' } });
  });

  it('drops excess packets of any kind and says so', async () => {
    await start({ packetBurst: 5, packetsPerSecond: 1 });
    const { socket } = await kit.join();
    const notice = nextEvent(socket, 'notice', (n) => n.code === 'rate-limited');
    for (let i = 0; i < 6; i++) socket.emit('like', 1);
    expect(await notice).toMatchObject({ level: 'warning', text: expect.stringContaining('too fast') });
    expect(await request(socket, 'rename', 'x')).toMatchObject({ ok: false, error: { code: 'LR_CHAT_RATE_LIMITED' } });
  });

  it('limits new connections per address', async () => {
    await start({ connectBurst: 2, connectsPerSecond: 0.01 });
    await kit.join();
    await kit.join();
    expect(await kit.refused({ channel: 'live', identity: newIdentity(), name: 'x' })).toMatchObject({ code: 'LR_CHAT_TOO_MANY_CONNECTIONS' });
  });

  it('works over HTTP long-polling too', async () => {
    await start();
    const { socket: a } = await kit.join({}, { transports: ['polling'] });
    const { socket: b } = await kit.join({}, { transports: ['polling'] });
    const got = nextEvent(b, 'message');
    sent(await request(a, 'send', { text: 'polled' }));
    expect((await got).text).toBe('polled');
  });

  it('stop() disconnects clients and gives the HTTP server back', async () => {
    await start();
    const { socket } = await kit.join();
    const gone = new Promise<string>((resolve) => socket.on('disconnect', (r) => resolve(r)));
    await kit.chat.stop();
    expect(await gone).toBe('io server disconnect');
    const get = (p: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        http.get(kit.url + p, { agent: false }, (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        }).on('error', reject);
      });
    expect(await get('/socket.io/?EIO=4&transport=polling')).toEqual({ status: 404, body: 'not chat' });
    expect(await get('/anything')).toEqual({ status: 404, body: 'not chat' });
    expect(kit.server.listeners('request')).toHaveLength(1);
    expect(kit.server.listeners('upgrade')).toHaveLength(0);
    await kit.chat.stop(); // twice is fine
  });
});
