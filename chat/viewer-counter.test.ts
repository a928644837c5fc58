import type { ViewerCount } from './chat-events';
import { ViewerCounter } from './viewer-counter';

function counter() {
  const clock = { now: 1_000_000 };
  const told: ViewerCount[] = [];
  const reports: Record<string, number>[] = [];
  const viewers = new ViewerCounter({
    intervalMs: 1000,
    broadcast: (c) => told.push(c),
    onError: (err) => {
      throw err;
    },
    report: (counts) => reports.push(counts),
    clock: () => clock.now,
  });
  return { viewers, told, reports, clock };
}

describe('ViewerCounter across nodes', () => {
  it('reports its own viewers and adds the other nodes’ until their reports expire', () => {
    const { viewers, told, reports, clock } = counter();
    const release = viewers.addChat('live', 'u1');
    viewers.addChat('live', 'u1'); // a second tab of the same browser
    viewers.addPlayer('live', '203.0.113.9');
    viewers.tick();
    expect(reports.at(-1)).toEqual({ live: 2 });
    expect(told.at(-1)).toEqual({ channel: 'live', count: 2 });

    viewers.remoteReport({ node: 'n2', counts: { live: 5, other: 9 }, ttlMs: 3000 });
    viewers.remoteReport({ node: 'n3', counts: { live: 1 }, ttlMs: 3000 });
    expect(viewers.count('live')).toBe(8);
    viewers.tick();
    expect(told.at(-1)).toEqual({ channel: 'live', count: 8 });
    // Only local viewers are reported, never the sum (no double counting between nodes).
    expect(reports.at(-1)).toEqual({ live: 2 });

    viewers.remoteReport({ node: 'n3', counts: {}, ttlMs: 0 }); // n3 leaves
    expect(viewers.count('live')).toBe(7);
    clock.now += 3000; // n2 went silent
    expect(viewers.count('live')).toBe(2);
    release(); // one of the two tabs closes: the browser still counts once
    expect(viewers.localCounts()).toEqual({ live: 2 });
  });

  it('counts players without chat once per address, however many streams it opens', () => {
    const { viewers } = counter();
    const releases = Array.from({ length: 50 }, () => viewers.addPlayer('live', '203.0.113.9'));
    const other = viewers.addPlayer('live', '198.51.100.1');
    expect(viewers.count('live')).toBe(2);
    releases.slice(1).forEach((r) => r());
    expect(viewers.count('live')).toBe(2);
    releases[0]();
    other();
    expect(viewers.count('live')).toBe(0);
  });
});
