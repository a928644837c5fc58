import type { Fragment } from './fragment-splitter';
import { MediaPlaylist } from './media-playlist';
import type { InitInfo } from './mp4-boxes';
import { renderMediaPlaylist } from './playlist-writer';
import { SegmentClock } from './segment-clock';

/** A playlist fed by hand: 0.2 s parts, a keyframe every 5 parts (1 s segments). */
function playlist() {
  const pl = new MediaPlaylist({ name: 'source', partTarget: 0.2, segmentTarget: 1, windowSegments: 6, epoch: 'e1' });
  const clock = new SegmentClock(1, 0, () => 1_000_000);
  pl.startStream(Buffer.from('init'), {} as InitInfo);
  let n = 0;
  const addPart = () => {
    const f: Fragment = { bytes: Buffer.alloc(8, n), start: n * 0.2, duration: 0.2, samples: 6, independent: n % 5 === 0 };
    n++;
    pl.addFragment(f, clock);
  };
  return { pl, addPart };
}

describe('MediaPlaylist held requests', () => {
  it('wakes each request when what it waits for arrives: a part, a whole segment, a part id', async () => {
    const { pl, addPart } = playlist();
    addPart(); // segment 0, part 0
    const order: string[] = [];
    const track = (name: string, p: Promise<boolean>) => p.then((ok) => order.push(`${name}:${ok}`));
    const waits = [
      track('0/2', pl.waitFor({ msn: 0, part: 2 }, 5000)),
      track('1/0', pl.waitFor({ msn: 1, part: 0 }, 5000)),
      track('seg0', pl.waitFor({ msn: 0 }, 5000)),
      track('id3', pl.waitFor({ partId: 3 }, 5000)),
      track('0/9', pl.waitFor({ msn: 0, part: 9 }, 5000)), // more parts than segment 0 gets: satisfied by segment 1
    ];
    expect(pl.heldRequests).toBe(5);
    addPart(); // 0/1
    await Promise.resolve();
    expect(order).toEqual([]);
    addPart(); // 0/2
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['0/2:true']);
    addPart(); // 0/3, id 3
    addPart(); // 0/4
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['0/2:true', 'id3:true']);
    addPart(); // keyframe: segment 0 completes, segment 1 opens
    await Promise.all(waits);
    expect(order.slice(2).sort()).toEqual(['0/9:true', '1/0:true', 'seg0:true']);
    expect(pl.heldRequests).toBe(0);
  });

  it('releases a request at once when its signal aborts, and every request on end()', async () => {
    const { pl, addPart } = playlist();
    addPart();
    const gone = new AbortController();
    const aborted = pl.waitFor({ msn: 2, part: 0 }, 60_000, gone.signal);
    const others = [pl.waitFor({ msn: 2, part: 1 }, 60_000), pl.waitFor({ partId: 40 }, 60_000), pl.waitFor({ msn: 1 }, 60_000)];
    expect(pl.heldRequests).toBe(4);
    gone.abort();
    await expect(aborted).resolves.toBe(false);
    expect(pl.heldRequests).toBe(3);
    await expect(pl.waitFor({ msn: 2 }, 60_000, gone.signal)).resolves.toBe(false); // already aborted: not held
    expect(pl.heldRequests).toBe(3);
    pl.end();
    await expect(Promise.all(others)).resolves.toEqual([false, false, false]);
    expect(pl.heldRequests).toBe(0);
  });

  it('times out', async () => {
    const { pl, addPart } = playlist();
    addPart();
    await expect(pl.waitFor({ msn: 0, part: 3 }, 20)).resolves.toBe(false);
    expect(pl.heldRequests).toBe(0);
  });
});

describe('MediaPlaylist rendering for stock players', () => {
  it('hints the next part, but not one that should open a new segment', () => {
    const { pl, addPart } = playlist();
    for (let i = 0; i < 7; i++) addPart(); // segment 0 (5 parts), segment 1 parts 0-1
    expect(renderMediaPlaylist(pl)).toContain('#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part-e1-7.m4s"');
    addPart();
    addPart();
    expect(renderMediaPlaylist(pl)).toContain('#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part-e1-9.m4s"');
    addPart(); // segment 1 as long as segment 0: part 10 should be a keyframe
    expect(pl.nextPartOpensSegment).toBe(true);
    expect(renderMediaPlaylist(pl)).not.toContain('PRELOAD-HINT');
    // A request for the part is still held, hint or not.
    expect(pl.nextPartIdHint).toBe(10);
    addPart(); // it was: segment 2 opens
    expect(renderMediaPlaylist(pl)).toContain('#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part-e1-11.m4s"');
  });

  it('lists each part 0.1 ms long, and each segment at its true duration', () => {
    const { pl, addPart } = playlist();
    for (let i = 0; i < 7; i++) addPart();
    const text = renderMediaPlaylist(pl);
    expect(text.match(/#EXT-X-PART:DURATION=[\d.]+/g)).toEqual(Array(7).fill('#EXT-X-PART:DURATION=0.20010'));
    expect(text).toContain('#EXTINF:1.00000,');
  });
});
