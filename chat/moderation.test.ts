import { chatSchema } from '../core/config-schema';
import type { ChatMessage, SendAck } from './chat-events';
import { Moderation } from './moderation';
import { collect, newIdentity, nextEvent, request, sleep, startChat as startKit, type ChatKit } from './chat-test-kit';

// Each test twice: reading the store for every check (SQLite), and with the per-channel cache PostgreSQL gets, its TTL
// long enough that only the invalidation on each action can make the action apply at once.
describe.each([
  ['reading the store for every check', 0],
  ['with the moderation cache (PostgreSQL)', 60_000],
])('moderation through the chat server, %s', (_how, moderationCacheMs) => {
  const startChat = (config: Parameters<typeof startKit>[0] = {}, opts: Parameters<typeof startKit>[1] = {}) => startKit(config, { ...opts, moderationCacheMs });
  let kit: ChatKit;
  afterEach(async () => {
    await kit?.close();
  });

  const sent = (ack: SendAck): ChatMessage => {
    if (!ack.ok) throw new Error(`send refused: ${ack.error.code} ${ack.error.message}`);
    return ack.message;
  };
  const logActions = () =>
    (kit.db.prepare('SELECT action, actor_name, target_user_id FROM chat_moderation_log ORDER BY id').all() as { action: string }[]).map((r) => r.action);

  async function room() {
    const { token } = await kit.tokens.create('live', 'Mia');
    const mod = await kit.join({ name: 'Mia', token });
    const viewer = await kit.join({ name: 'Vic' });
    const other = await kit.join({ name: 'Olga' });
    return { mod: mod.socket, viewer: viewer.socket, viewerId: viewer.welcome.you.id, other: other.socket };
  }

  it('slow mode: announced to the room, applies to viewers, moderators exempt, and lifts', async () => {
    kit = await startChat();
    const { mod, viewer, other } = await room();
    const notice = nextEvent(other, 'notice', (n) => n.code === 'slow-mode');
    const settings = nextEvent(other, 'settings');
    expect(await request(mod, 'moderate', { action: 'slow-mode', seconds: 30 })).toEqual({ ok: true });
    expect(await notice).toMatchObject({ channel: 'live', text: 'Slow mode is on: one message every 30 s.' });
    expect(await settings).toEqual({ channel: 'live', slowModeSeconds: 30 });
    expect((await kit.join()).welcome.settings.slowModeSeconds).toBe(30);

    sent(await request(viewer, 'send', { text: 'first' }));
    kit.clock.advance(10_000);
    expect(await request(viewer, 'send', { text: 'second' })).toEqual({
      ok: false,
      error: { code: 'LR_CHAT_SLOW_MODE', message: 'Slow mode is on: wait 20 s before your next message.', retryAfterMs: 20_000 },
    });
    sent(await request(mod, 'send', { text: 'mod 1' }));
    sent(await request(mod, 'send', { text: 'mod 2' }));
    kit.clock.advance(20_000);
    sent(await request(viewer, 'send', { text: 'third' }));

    expect(await request(mod, 'moderate', { action: 'slow-mode', seconds: 0 })).toEqual({ ok: true });
    sent(await request(viewer, 'send', { text: 'free again' }));
    expect(logActions()).toEqual(['slow-mode', 'slow-mode']);
  });

  it('timeout: the viewer cannot write for N seconds, the room is told, and it is logged', async () => {
    kit = await startChat();
    const { mod, viewer, viewerId, other } = await room();
    sent(await request(viewer, 'send', { text: 'before' })); // with the cache, the channel's timeouts are now in memory
    const notice = nextEvent(other, 'notice', (n) => n.code === 'timeout');
    expect(await request(mod, 'moderate', { action: 'timeout', userId: viewerId, seconds: 90, reason: 'spam' })).toEqual({ ok: true });
    expect(await notice).toMatchObject({ text: 'Vic was timed out for 1 min 30 s.', level: 'warning', target: { id: viewerId, name: 'Vic' } });
    expect(await request(viewer, 'send', { text: 'let me talk' })).toMatchObject({
      ok: false,
      error: { code: 'LR_CHAT_TIMED_OUT', message: 'You are timed out for 90 s more.', retryAfterMs: 90_000 },
    });
    sent(await request(other, 'send', { text: 'others are fine' }));
    kit.clock.advance(91_000);
    sent(await request(viewer, 'send', { text: 'back' }));
    expect(kit.db.prepare('SELECT action, actor_name, target_user_id, detail FROM chat_moderation_log').get()).toEqual({
      action: 'timeout',
      actor_name: 'Mia',
      target_user_id: viewerId,
      detail: JSON.stringify({ name: 'Vic', seconds: 90, reason: 'spam' }),
    });
  });

  it('unban lifts a running timeout at once', async () => {
    kit = await startChat();
    const { mod, viewer, viewerId } = await room();
    expect((await request(mod, 'moderate', { action: 'timeout', userId: viewerId, seconds: 600 })).ok).toBe(true);
    expect(await request(viewer, 'send', { text: 'let me talk' })).toMatchObject({ ok: false, error: { code: 'LR_CHAT_TIMED_OUT' } });
    expect(await request(mod, 'moderate', { action: 'unban', userId: viewerId })).toEqual({ ok: true });
    sent(await request(viewer, 'send', { text: 'thanks' }));
  });

  it('only moderators moderate, and nobody moderates the streamer or themselves', async () => {
    kit = await startChat();
    const { mod, viewer } = await room();
    const { socket: host, welcome } = await kit.join({ name: 'Host', token: kit.streamerToken });
    const modId = (await request(mod, 'send', { text: 'hi' }).then((a) => sent(a))).author.id;
    expect(await request(viewer, 'moderate', { action: 'timeout', userId: modId, seconds: 10 })).toMatchObject({ ok: false, error: { code: 'LR_CHAT_FORBIDDEN' } });
    expect(await request(mod, 'moderate', { action: 'ban', userId: welcome.you.id })).toMatchObject({ ok: false, error: { code: 'LR_CHAT_FORBIDDEN' } });
    expect(await request(mod, 'moderate', { action: 'timeout', userId: modId, seconds: 10 })).toMatchObject({ ok: false, error: { code: 'LR_CHAT_FORBIDDEN', message: 'You cannot moderate yourself.' } });
    expect(await request(host, 'moderate', { action: 'timeout', userId: 'ab'.repeat(12), seconds: 10 })).toMatchObject({ ok: false, error: { code: 'LR_CHAT_NOT_FOUND' } });
    expect(await request(host, 'moderate', { action: 'timeout', userId: modId, seconds: 0 })).toMatchObject({ ok: false, error: { code: 'LR_CHAT_INVALID' } });
    expect(logActions()).toEqual([]);
  });

  it('ban: disconnects the viewer, refuses them by identity and by address, until unbanned', async () => {
    kit = await startChat({}, { trustedProxies: ['127.0.0.1'] }); // addresses from X-Forwarded-For, as behind a reverse proxy
    // The proxy appends the real address; what a client put before it is ignored.
    const from = (address: string) => ({ extraHeaders: { 'x-forwarded-for': `6.6.6.6, ${address}` } });
    const { token } = await kit.tokens.create('live', 'Mia');
    const { socket: mod } = await kit.join({ name: 'Mia', token });
    const identity = newIdentity();
    const { socket: bob, welcome } = await kit.join({ name: 'Banned Bob', identity }, from('203.0.113.7'));
    const { socket: bobsOtherTab } = await kit.join({ name: 'Not Bob' }, from('203.0.113.7'));
    const { socket: carol } = await kit.join({ name: 'Carol' }, from('198.51.100.9'));
    const kicked = new Promise<string>((resolve) => bob.on('disconnect', (r) => resolve(r)));
    const personal = nextEvent(bob, 'notice', (n) => n.code === 'ban' && n.text === 'You were banned from this chat.');
    const roomNotice = nextEvent(carol, 'notice', (n) => n.code === 'ban');
    expect(await request(mod, 'moderate', { action: 'ban', userId: welcome.you.id, reason: 'abuse' })).toEqual({ ok: true });
    expect((await roomNotice).text).toBe('Banned Bob was banned.');
    await personal;
    expect(await kicked).toBe('io server disconnect');
    await sleep(50);
    expect(bobsOtherTab.connected).toBe(false); // same address
    expect(carol.connected).toBe(true);
    expect(mod.connected).toBe(true);

    const banned = { code: 'LR_CHAT_BANNED', message: 'You are banned from this chat.' };
    expect(await kit.refused({ channel: 'live', identity, name: 'Bob again' }, from('198.51.100.20'))).toEqual(banned); // by identity
    expect(await kit.refused({ channel: 'live', identity: newIdentity(), name: 'New me' }, from('203.0.113.7'))).toEqual(banned); // by address
    await kit.join({ name: 'Someone else' }, from('198.51.100.20'));
    await kit.join({ channel: 'other', identity, name: 'Banned Bob' }, from('203.0.113.7')); // bans are per channel
    await kit.join({ name: 'Host', token: kit.streamerToken }, from('203.0.113.7')); // privileged connections are not held by bans

    const unbanNotice = nextEvent(mod, 'notice', (n) => n.code === 'unban');
    expect(await request(mod, 'moderate', { action: 'unban', userId: welcome.you.id })).toEqual({ ok: true });
    expect((await unbanNotice).text).toBe('Banned Bob may chat again.');
    await kit.join({ identity }, from('203.0.113.7'));
    expect(await request(mod, 'moderate', { action: 'unban', userId: welcome.you.id })).toMatchObject({ ok: false, error: { code: 'LR_CHAT_NOT_FOUND' } });
    expect(kit.db.prepare('SELECT kind, address, reason, lifted_at IS NOT NULL AS lifted FROM chat_sanctions').all()).toEqual([
      { kind: 'ban', address: '203.0.113.7', reason: 'abuse', lifted: 1 },
    ]);
    expect(logActions()).toEqual(['ban', 'unban']);
  });

  it('ban: an address shared by many (loopback, private, a proxy) is not banned; the identity is', async () => {
    kit = await startChat(); // no trusted proxies: everyone here comes from 127.0.0.1
    const { mod, viewerId, other } = await room();
    expect(await request(mod, 'moderate', { action: 'ban', userId: viewerId })).toEqual({ ok: true });
    await sleep(50);
    expect(other.connected).toBe(true);
    await kit.join({ name: 'Newcomer' });
    expect(kit.db.prepare('SELECT address FROM chat_sanctions').all()).toEqual([{ address: null }]);
  });

  it('delete: gone for everyone and from the history a newcomer gets; the log keeps the text', async () => {
    kit = await startChat();
    const { mod, viewer, other } = await room();
    const doomed = sent(await request(viewer, 'send', { text: 'something awful' }));
    kit.clock.advance(1000);
    const kept = sent(await request(viewer, 'send', { text: 'something fine' }));
    expect(await request(viewer, 'moderate', { action: 'delete', messageId: doomed.id })).toMatchObject({ ok: false, error: { code: 'LR_CHAT_FORBIDDEN' } });

    const deletedForOther = nextEvent(other, 'message:deleted');
    const deletedForViewer = nextEvent(viewer, 'message:deleted');
    const modNotice = nextEvent(mod, 'notice', (n) => n.code === 'message-deleted');
    expect(await request(mod, 'moderate', { action: 'delete', messageId: doomed.id })).toEqual({ ok: true });
    expect(await deletedForOther).toEqual({ channel: 'live', id: doomed.id });
    expect(await deletedForViewer).toEqual({ channel: 'live', id: doomed.id });
    expect((await modNotice).text).toBe('Removed a message by Vic.');

    const { welcome } = await kit.join();
    expect(welcome.history.map((m) => m.id)).toEqual([kept.id]);
    expect(kit.db.prepare('SELECT COUNT(*) AS n FROM chat_messages WHERE id = ?').get(doomed.id)).toEqual({ n: 0 });
    expect(JSON.parse((kit.db.prepare("SELECT detail FROM chat_moderation_log WHERE action = 'delete'").get() as { detail: string }).detail)).toMatchObject({
      text: 'something awful',
      name: 'Vic',
    });
    expect(await request(mod, 'moderate', { action: 'delete', messageId: doomed.id })).toMatchObject({ ok: false, error: { code: 'LR_CHAT_NOT_FOUND' } });
  });

  it('blocked words: configured and per channel, whole words, case-insensitive', async () => {
    kit = await startChat({ blockedWords: ['badword', 'spam*'] });
    const { mod, viewer, other } = await room();
    const seen = collect(other, 'message');
    const refused = { ok: false, error: { code: 'LR_CHAT_BLOCKED_WORD', message: 'Your message contains a word this channel does not allow; it was not sent.' } };
    expect(await request(viewer, 'send', { text: 'what a BadWord!' })).toEqual(refused);
    kit.clock.advance(1000);
    expect(await request(viewer, 'send', { text: 'top spammers here' })).toEqual(refused);
    kit.clock.advance(1000);
    sent(await request(viewer, 'send', { text: 'badwords is a different word' }));

    const modNotice = nextEvent(mod, 'notice', (n) => n.code === 'blocked-words');
    expect(await request(mod, 'moderate', { action: 'block-word', word: '  Spoiler ' })).toEqual({ ok: true, blockedWords: ['badword', 'spam*', 'spoiler'] });
    expect((await modNotice).text).toBe('“spoiler” is now blocked here.');
    kit.clock.advance(1000);
    expect(await request(viewer, 'send', { text: 'SPOILER: he dies' })).toEqual(refused);
    expect(await request(mod, 'moderate', { action: 'unblock-word', word: 'spoiler' })).toEqual({ ok: true, blockedWords: ['badword', 'spam*'] });
    kit.clock.advance(1000);
    sent(await request(viewer, 'send', { text: 'spoiler: he lives' }));
    expect(await request(mod, 'moderate', { action: 'unblock-word', word: 'badword' })).toMatchObject({
      ok: false,
      error: { code: 'LR_CHAT_NOT_FOUND', message: expect.stringContaining('chat.blockedWords') },
    });
    await sleep(50);
    expect(seen.map((m) => m.text)).toEqual(['badwords is a different word', 'spoiler: he lives']);
    expect(logActions()).toEqual(['block-word', 'unblock-word']);
  });

  it('moderation state lives in the database: a fresh instance (another process, a restart) sees it', async () => {
    kit = await startChat();
    const { mod, viewerId } = await room();
    expect((await request(mod, 'moderate', { action: 'slow-mode', seconds: 5 })).ok).toBe(true);
    expect((await request(mod, 'moderate', { action: 'timeout', userId: viewerId, seconds: 600 })).ok).toBe(true);
    const fresh = new Moderation(kit.stores.moderation, chatSchema.parse({}));
    expect(await fresh.slowModeSeconds('live')).toBe(5);
    expect(await fresh.slowModeSeconds('other')).toBe(0);
    expect(await fresh.timeoutUntil('live', viewerId, kit.clock.now)).toBe(kit.clock.now + 600_000);
    expect(await fresh.timeoutUntil('live', viewerId, kit.clock.now + 600_000)).toBeUndefined();
    expect((await fresh.logEntries('live')).map((e) => [e.action, e.actor.name])).toEqual([
      ['timeout', 'Mia'],
      ['slow-mode', 'Mia'],
    ]);
  });
});
