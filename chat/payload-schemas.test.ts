import { chatSchema } from '../core/config-schema';
import { parseConfig } from '../server/config-loader';
import { charLength, cleanText, handshakeSchema, moderationSchema, nameSchema } from './payload-schemas';
import { formatDuration } from './moderation-actions';
import { isSharedAddress, normalizeAddress } from '../core/client-address';

describe('chat payload validation', () => {
  it('cleans message text: line breaks to spaces, control and bidi characters out, NFC', () => {
    expect(cleanText('  a\r\nb\tc  ')).toBe('a b c');
    expect(cleanText('x\u0000\u0007y')).toBe('xy');
    expect(cleanText('\u202Egnp.exe')).toBe('gnp.exe');
    expect(cleanText('e\u0301')).toBe('é');
    expect(cleanText('👩‍👩‍👧')).toBe('👩‍👩‍👧'); // zero-width joiners inside emoji stay
    expect(charLength('👍👍')).toBe(2);
  });

  it('accepts 1–32 character names without control or invisible characters', () => {
    expect(nameSchema.parse('  Ada ')).toBe('Ada');
    expect(nameSchema.safeParse('x'.repeat(32)).success).toBe(true);
    expect(nameSchema.safeParse('😀'.repeat(32)).success).toBe(true);
    for (const bad of ['', '   ', 'x'.repeat(33), 'tab\there', 'rtl\u202Eoverride', 'zero\u200Bwidth', 'nul\u0000']) {
      expect(nameSchema.safeParse(bad).success).toBe(false);
    }
  });

  it('checks the handshake shape', () => {
    const ok = { channel: 'live', identity: 'abcdefghijklmnop', name: 'Ada' };
    expect(handshakeSchema.safeParse(ok).success).toBe(true);
    expect(handshakeSchema.safeParse({ ...ok, identity: 'has spaces in it!!' }).success).toBe(false);
    expect(handshakeSchema.safeParse({ ...ok, identity: 'x'.repeat(65) }).success).toBe(false);
    expect(handshakeSchema.safeParse({ ...ok, channel: '../etc' }).success).toBe(false);
    expect(handshakeSchema.safeParse({ ...ok, token: '' }).success).toBe(false);
  });

  it('accepts only known moderation requests', () => {
    expect(moderationSchema.safeParse({ action: 'timeout', userId: 'ab'.repeat(12), seconds: 60 }).success).toBe(true);
    expect(moderationSchema.safeParse({ action: 'timeout', userId: 'ab'.repeat(12), seconds: 60.5 }).success).toBe(false);
    expect(moderationSchema.safeParse({ action: 'ban', userId: 'not hex' }).success).toBe(false);
    expect(moderationSchema.safeParse({ action: 'slow-mode', seconds: -1 }).success).toBe(false);
    expect(moderationSchema.safeParse({ action: 'drop-table' }).success).toBe(false);
    expect(moderationSchema.parse({ action: 'block-word', word: ' ＳＰＡＭ ' })).toEqual({ action: 'block-word', word: 'spam' });
  });

  it('formats durations for notices', () => {
    expect([5, 60, 90, 3600, 5400, 86_400 + 7200 + 60].map(formatDuration)).toEqual(['5 s', '1 min', '1 min 30 s', '1 h', '1 h 30 min', '1 d 2 h']);
  });
});

describe('chat config slice', () => {
  it('has defaults, rejects unknown keys, and names the key in cross-field rules', () => {
    const c = chatSchema.parse({});
    expect(c).toMatchObject({ historyCount: 50, maxMessageLength: 300, likeBroadcastMs: 250, viewerCountMs: 5000, blockedWords: [] });
    expect(parseConfig({}).chat.maxPacketBytes).toBe(16_384);
    expect(() => parseConfig({ chat: { historyCnt: 5 } })).toThrow(/unknown setting 'chat\.historyCnt'/);
    expect(() => parseConfig({ chat: { maxDanmakuLength: 400 } })).toThrow(/'chat.maxDanmakuLength' \(400\) must not exceed 'chat.maxMessageLength' \(300\)/);
    expect(() => parseConfig({ chat: { maxMessageLength: 2000, maxPacketBytes: 4096 } })).toThrow(/'chat.maxPacketBytes' \(4096\) must be at least/);
  });
});

describe('client addresses', () => {
  it('treats loopback, private, CGNAT and link-local addresses as shared', () => {
    for (const a of ['127.0.0.1', '::ffff:127.0.0.1', '::1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.10', '100.64.0.1', '169.254.1.1', 'fd00::1', 'fe80::1', 'garbage']) {
      expect([a, isSharedAddress(a)]).toEqual([a, true]);
    }
    for (const a of ['203.0.113.7', '::ffff:198.51.100.9', '172.32.0.1', '8.8.8.8', '2001:db8::1']) {
      expect([a, isSharedAddress(a)]).toEqual([a, false]);
    }
    expect(normalizeAddress('::ffff:203.0.113.7')).toBe('203.0.113.7');
  });
});
