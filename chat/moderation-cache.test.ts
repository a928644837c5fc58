import { ModerationCache, type LastMessageSource, type ModerationSource } from './moderation-cache';

/** A store that counts its reads and answers from fields the test sets; `down` makes every read fail. */
function fakeStore() {
  const reads: string[] = [];
  const state = {
    slowMode: undefined as number | undefined,
    words: [] as string[],
    timeouts: new Map<string, number>(),
    last: new Map<string, number>(),
    down: false,
  };
  const read = async <T>(what: string, value: () => T): Promise<T> => {
    reads.push(what);
    if (state.down) throw new Error('connect ECONNREFUSED');
    return value();
  };
  const store: ModerationSource = {
    slowModeSeconds: () => read('slowMode', () => state.slowMode),
    blockedWords: () => read('words', () => [...state.words]),
    runningTimeouts: (_c, now) => read('timeouts', () => new Map([...state.timeouts].filter(([, until]) => until > now))),
    timeoutUntil: () => Promise.reject(new Error('the cache reads every running timeout of a channel at once')),
  };
  const messages: LastMessageSource = { lastMessageTs: (_c, user) => read(`last:${user}`, () => state.last.get(user)) };
  return { reads, state, store, messages };
}

describe('ModerationCache', () => {
  let now: number;
  let f: ReturnType<typeof fakeStore>;
  let cache: ModerationCache;
  beforeEach(() => {
    now = 1_000_000;
    f = fakeStore();
    cache = new ModerationCache(f.store, f.messages, { ttlMs: 2000, clock: () => now, defaultSlowModeSeconds: 0 });
  });

  it('reads each part of a channel once, then answers from memory until the TTL runs out', async () => {
    f.state.slowMode = 10;
    f.state.words = ['spam'];
    f.state.timeouts.set('u1', now + 60_000);
    for (let i = 0; i < 50; i++) {
      expect(await cache.slowModeSeconds('live')).toBe(10);
      expect(await cache.blockedWords('live')).toEqual(['spam']);
      expect(await cache.timeoutUntil('live', 'u1', now)).toBe(now + 60_000);
      expect(await cache.timeoutUntil('live', `viewer-${i}`, now)).toBeUndefined();
    }
    expect(f.reads.sort()).toEqual(['slowMode', 'timeouts', 'words']);
    // Another channel has its own entry.
    await cache.slowModeSeconds('other');
    expect(f.reads).toHaveLength(4);

    f.state.slowMode = 0;
    now += 1999;
    expect(await cache.slowModeSeconds('live')).toBe(10); // within the TTL: the change made elsewhere is not seen yet
    now += 1;
    expect(await cache.slowModeSeconds('live')).toBe(0);
    expect(f.reads.filter((r) => r === 'slowMode')).toHaveLength(3);
  });

  it('invalidate() drops the channel at once: the next check reads the store', async () => {
    expect(await cache.timeoutUntil('live', 'u1', now)).toBeUndefined();
    expect(await cache.blockedWords('live')).toEqual([]);
    f.state.timeouts.set('u1', now + 30_000);
    f.state.words = ['spoiler'];
    expect(await cache.timeoutUntil('live', 'u1', now)).toBeUndefined(); // cached
    cache.invalidate('other');
    expect(await cache.timeoutUntil('live', 'u1', now)).toBeUndefined(); // another channel's change
    cache.invalidate('live');
    expect(await cache.timeoutUntil('live', 'u1', now)).toBe(now + 30_000);
    expect(await cache.blockedWords('live')).toEqual(['spoiler']);
    expect(f.reads.filter((r) => r === 'timeouts')).toHaveLength(2);
  });

  it('a timeout that ran out is over without a read; a failed read is not kept', async () => {
    f.state.timeouts.set('u1', now + 5000);
    expect(await cache.timeoutUntil('live', 'u1', now + 4999)).toBe(now + 5000);
    expect(await cache.timeoutUntil('live', 'u1', now + 5000)).toBeUndefined();
    expect(f.reads).toEqual(['timeouts']);

    f.state.down = true;
    await expect(cache.slowModeSeconds('live')).rejects.toThrow('ECONNREFUSED');
    f.state.down = false;
    f.state.slowMode = 30;
    expect(await cache.slowModeSeconds('live')).toBe(30);
  });

  it("slow mode: a user's last message is read from the store once, then known from what this node stores", async () => {
    f.state.slowMode = 30;
    f.state.last.set('u1', now - 10_000);
    expect(await cache.lastMessageTs('live', 'u1')).toBe(now - 10_000);
    expect(await cache.lastMessageTs('live', 'u1')).toBe(now - 10_000);
    expect(await cache.lastMessageTs('live', 'u2')).toBeUndefined(); // never wrote: known as such
    expect(await cache.lastMessageTs('live', 'u2')).toBeUndefined();
    expect(f.reads).toEqual(['last:u1', 'last:u2']);
    cache.sent('live', 'u2', now);
    cache.sent('live', 'u1', now - 20_000); // older than what is known: ignored
    expect(await cache.lastMessageTs('live', 'u2')).toBe(now);
    expect(await cache.lastMessageTs('live', 'u1')).toBe(now - 10_000);
    expect(f.reads).toHaveLength(2);
    // Moderation actions do not drop them: they are facts about messages, not moderation state.
    cache.invalidate('live');
    expect(await cache.lastMessageTs('live', 'u2')).toBe(now);
    expect(f.reads).toHaveLength(2);
  });

  it('sweep() forgets last-message times slow mode no longer needs, and a later look-up reads the store again', async () => {
    f.state.slowMode = 30;
    await cache.slowModeSeconds('live');
    cache.sent('live', 'old', now - 31_000);
    cache.sent('live', 'recent', now - 1000);
    cache.sweep();
    expect(await cache.lastMessageTs('live', 'recent')).toBe(now - 1000);
    expect(f.reads).toEqual(['slowMode']);
    expect(await cache.lastMessageTs('live', 'old')).toBeUndefined(); // forgotten: read again (the fake store has none)
    expect(f.reads).toEqual(['slowMode', 'last:old']);
  });
});
