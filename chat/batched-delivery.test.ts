import type { ChatMessage, SendAck } from './chat-events';
import { chatSchema } from '../core/config-schema';
import { batchIntervalMs } from './chat-server';
import { MessageBatcher } from './message-batcher';
import { collect, nextEvent, request, sleep, startChat, type ChatKit } from './chat-test-kit';

const sent = (ack: SendAck): ChatMessage => {
  if (!ack.ok) throw new Error(`send refused: ${ack.error.code} ${ack.error.message}`);
  return ack.message;
};

describe('MessageBatcher', () => {
  const msg = (id: string) => ({ id }) as ChatMessage;

  it('sends the first message after a quiet spell at once, then at most one batch per interval', () => {
    jest.useFakeTimers();
    try {
      const flushed: string[][] = [];
      const b = new MessageBatcher({ intervalMs: 100, flush: (_c, ms) => void flushed.push(ms.map((m) => m.id)), onError: (e) => { throw e; } });
      b.add('live', msg('a'));
      expect(flushed).toEqual([['a']]);
      b.add('live', msg('b'));
      b.add('other', msg('x')); // channels are independent
      jest.advanceTimersByTime(50);
      b.add('live', msg('c'));
      expect(flushed).toEqual([['a'], ['x']]);
      jest.advanceTimersByTime(50);
      expect(flushed).toEqual([['a'], ['x'], ['b', 'c']]);
      jest.advanceTimersByTime(250); // quiet: forgotten, the next one goes at once again
      b.add('live', msg('d'));
      expect(flushed.at(-1)).toEqual(['d']);
      b.add('live', msg('e'));
      b.stop(); // pending messages are not sent after stop
      jest.advanceTimersByTime(500);
      expect(flushed.at(-1)).toEqual(['d']);
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('MessageBatcher with shards', () => {
  const msg = (id: string) => ({ id }) as ChatMessage;

  it('sends a quiet room\'s first message to every shard at once, then flushes the shards in turn, each at most once an interval', () => {
    jest.useFakeTimers();
    try {
      const flushed: string[] = [];
      const b = new MessageBatcher({ intervalMs: 100, shards: 2, flush: (_c, ms, shard) => void flushed.push(`${shard}:${ms.map((m) => m.id).join('')}`), onError: (e) => { throw e; } });
      b.add('live', msg('a'));
      expect(flushed).toEqual(['0:a', '1:a']);
      b.add('live', msg('b'));
      jest.advanceTimersByTime(50);
      expect(flushed.slice(2)).toEqual(['0:b']);
      jest.advanceTimersByTime(10);
      b.add('live', msg('c'));
      jest.advanceTimersByTime(40); // t=100: shard 1's turn, both it has not had
      expect(flushed.slice(2)).toEqual(['0:b', '1:bc']);
      jest.advanceTimersByTime(50); // t=150: shard 0, only what is new to it
      expect(flushed.slice(2)).toEqual(['0:b', '1:bc', '0:c']);
      jest.advanceTimersByTime(100); // two rounds without a message: forgotten
      b.add('live', msg('d'));
      expect(flushed.slice(5)).toEqual(['0:d', '1:d']);
      b.stop();
    } finally {
      jest.useRealTimers();
    }
  });

  it('starts the next turn\'s timer before a flush writes, so a slow flush does not stretch the interval', () => {
    jest.useFakeTimers();
    try {
      const pendingDuringFlush: number[] = [];
      const b = new MessageBatcher({ intervalMs: 100, shards: 2, flush: () => void pendingDuringFlush.push(jest.getTimerCount()), onError: (e) => { throw e; } });
      b.add('live', msg('a')); // at once, to both shards
      b.add('live', msg('b'));
      jest.advanceTimersByTime(100); // both turns
      expect(pendingDuringFlush.slice(2)).toEqual([1, 1]);
      b.stop();
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

  it('never sends a withdrawn message to the shards that have not had it, and sends nothing when that was all', () => {
    jest.useFakeTimers();
    try {
      const flushed: string[] = [];
      const b = new MessageBatcher({ intervalMs: 100, shards: 2, flush: (_c, ms, shard) => void flushed.push(`${shard}:${ms.map((m) => m.id).join('')}`), onError: (e) => { throw e; } });
      b.add('live', msg('a'));
      b.add('live', msg('b'));
      b.add('live', msg('c'));
      jest.advanceTimersByTime(50); // shard 0 has b and c
      b.withdraw('live', 'b');
      b.withdraw('live', 'zz');
      b.withdraw('other', 'c');
      jest.advanceTimersByTime(50); // shard 1: c only
      b.add('live', msg('d'));
      b.withdraw('live', 'd');
      jest.advanceTimersByTime(100); // d was all there was: no packets
      expect(flushed).toEqual(['0:a', '1:a', '0:bc', '1:c']);
      b.stop();
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('the batch interval of a large room', () => {
  it('stays at messageBatchMs while the room fits in roomPacketsPerSecond, then grows with it up to messageBatchMaxMs', () => {
    const config = chatSchema.parse({ messageBatchMs: 100, roomPacketsPerSecond: 50_000, messageBatchMaxMs: 250 });
    expect(batchIntervalMs(config, 0)).toBe(100);
    expect(batchIntervalMs(config, 5000)).toBe(100);
    expect(batchIntervalMs(config, 7500)).toBe(150);
    expect(batchIntervalMs(config, 10_000)).toBe(200);
    expect(batchIntervalMs(config, 100_000)).toBe(250);
  });

  it('is asked of intervalFor at each batch', () => {
    jest.useFakeTimers();
    try {
      const flushed: string[][] = [];
      let interval = 100;
      const b = new MessageBatcher({
        intervalMs: 100,
        intervalFor: () => interval,
        flush: (_c, ms) => void flushed.push(ms.map((m) => m.id)),
        onError: (e) => {
          throw e;
        },
      });
      const msg = (id: string) => ({ id }) as ChatMessage;
      interval = 300;
      b.add('live', msg('a')); // at once
      b.add('live', msg('b'));
      jest.advanceTimersByTime(299);
      expect(flushed).toEqual([['a']]);
      jest.advanceTimersByTime(1);
      expect(flushed).toEqual([['a'], ['b']]);
      b.stop();
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('batched delivery (auth.batch) over real Socket.IO', () => {
  let kit: ChatKit;
  afterEach(async () => {
    await kit?.close();
  });

  it('gives batch connections the room’s messages as `messages` batches, and others one `message` each', async () => {
    kit = await startChat({ messageBatchMs: 150 });
    const { socket: alice } = await kit.join({ name: 'Alice' });
    const { socket: batcher } = await kit.join({ name: 'Batcher', batch: true });
    const { socket: single } = await kit.join({ name: 'Single' });
    const batches = collect(batcher, 'messages');
    const singles = collect(batcher, 'message');
    const singleGot = collect(single, 'message');

    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(sent(await request(alice, 'send', { text: `m${i}` })).id);
      kit.clock.advance(1000); // the message rate limit uses the kit's clock
    }
    // The batch connection's own messages come in the batches too.
    ids.push(sent(await request(batcher, 'send', { text: 'mine' })).id);
    await nextEvent(batcher, 'messages', (b) => b.some((m) => m.text === 'mine'), 2000);
    expect(singles).toEqual([]);
    expect(batches.flat().map((m) => m.id)).toEqual(ids);
    // The first went out at once, the rest were grouped: fewer packets than messages.
    expect(batches[0].map((m) => m.text)).toEqual(['m0']);
    expect(batches.length).toBeLessThan(ids.length);
    expect(batches.length).toBeGreaterThanOrEqual(2);
    // The single connection got each message once, as before.
    await sleep(50);
    expect(singleGot.map((m) => m.id)).toEqual(ids);
  });

  it('does not deliver a message in a batch after it was deleted', async () => {
    kit = await startChat({ messageBatchMs: 300 });
    const { socket: alice } = await kit.join({ name: 'Alice' });
    const { socket: mod } = await kit.join({ name: 'Mod', token: kit.streamerToken });
    const { socket: batcher } = await kit.join({ batch: true });
    const batches = collect(batcher, 'messages');
    const first = sent(await request(alice, 'send', { text: 'first' })); // goes at once
    kit.clock.advance(1000);
    const spam = sent(await request(alice, 'send', { text: 'spam' })); // waits for the next batch
    kit.clock.advance(1000);
    const kept = sent(await request(alice, 'send', { text: 'kept' }));
    expect(await request(mod, 'moderate', { action: 'delete', messageId: spam.id })).toEqual({ ok: true });
    await nextEvent(batcher, 'messages', (b) => b.some((m) => m.id === kept.id), 2000);
    expect(batches.flat().map((m) => m.id)).toEqual([first.id, kept.id]);
  });
});
