import pino from 'pino';
import { ChatRetention } from './chat-retention';

function fakeStores() {
  const cutoffs: number[] = [];
  return {
    cutoffs,
    stores: {
      messages: { purgeBefore: (ts: number) => (cutoffs.push(ts), 1) },
      moderation: { purgeBefore: () => ({ log: 0, users: 0, sanctions: 0 }) },
    } as never,
  };
}

describe('ChatRetention', () => {
  it('purges at start and on every interval with a cutoff of N days, and stops', async () => {
    const { stores, cutoffs } = fakeStores();
    const now = 10 * 86_400_000;
    const r = new ChatRetention({ days: 3, stores, clock: () => now, log: pino({ level: 'silent' }), intervalMs: 20 });
    r.start();
    expect(cutoffs).toEqual([7 * 86_400_000]);
    await new Promise((res) => setTimeout(res, 75));
    r.stop();
    const seen = cutoffs.length;
    expect(seen).toBeGreaterThanOrEqual(3);
    await new Promise((res) => setTimeout(res, 50));
    expect(cutoffs.length).toBe(seen);
  });

  it('does nothing with 0 days', async () => {
    const { stores, cutoffs } = fakeStores();
    const r = new ChatRetention({ days: 0, stores, clock: Date.now, log: pino({ level: 'silent' }) });
    r.start();
    expect(await r.purge()).toEqual({ messages: 0, log: 0, users: 0, sanctions: 0 });
    r.stop();
    expect(cutoffs).toEqual([]);
  });
});
