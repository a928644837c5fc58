import { SegmentClock } from './segment-clock';

describe('SegmentClock', () => {
  it('gives every rendition the same MSN and PROGRAM-DATE-TIME for a keyframe at the same media time', () => {
    let now = 1_000_000;
    const clock = new SegmentClock(1, 7, () => now);
    clock.observe('copy', 0.021, 0.167);
    expect(clock.boundaryAt('copy', 0.021)).toBe(7);
    now += 40; // the encoded rendition arrives later, with the same timestamps
    expect(clock.boundaryAt('enc', 0.021)).toBe(7);
    for (let k = 1; k <= 5; k++) {
      now += 1000;
      expect(clock.boundaryAt('copy', k + 0.021)).toBe(7 + k);
      now += 30;
      expect(clock.boundaryAt('enc', k + 0.021)).toBe(7 + k);
      expect(clock.wallClock('enc', k + 0.021)).toBe(clock.wallClock('copy', k + 0.021));
    }
    expect(clock.misaligned).toBe(0);
    // A keyframe sooner than the segment target after the last boundary opens nothing.
    expect(clock.boundaryAt('copy', 5.5)).toBeUndefined();
  });

  it('keeps the numbering for a keyframe a frame off, and counts it', () => {
    const clock = new SegmentClock(1, 0, () => 0);
    expect(clock.boundaryAt('copy', 0)).toBe(0);
    expect(clock.boundaryAt('copy', 1)).toBe(1);
    expect(clock.boundaryAt('enc', 1.033)).toBe(1);
    expect(clock.misaligned).toBe(1);
  });

  it('lets a rendition that starts a keyframe later join at that boundary', () => {
    const clock = new SegmentClock(1, 0, () => 0);
    expect(clock.boundaryAt('copy', 10)).toBe(0);
    expect(clock.boundaryAt('copy', 11)).toBe(1);
    expect(clock.boundaryAt('late', 11)).toBe(1);
    // The late one declares the next boundary first: the other matches it.
    expect(clock.boundaryAt('late', 12)).toBe(2);
    expect(clock.boundaryAt('copy', 12)).toBe(2);
  });

  it('takes the least-delayed arrival as the wall clock of media time 0', () => {
    let now = 10_000;
    const clock = new SegmentClock(1, 0, () => now);
    clock.observe('copy', 0, 0.2); // a late burst: 10 s − 0.2 s
    now = 10_100;
    clock.observe('copy', 0.2, 0.2); // 10.1 s − 0.4 s: earlier, better
    expect(clock.wallClock('copy', 1)).toBe(9_700 + 1000);
  });

  it('ignores improvements smaller than 50 ms, so jitter never moves PROGRAM-DATE-TIME against the media', () => {
    let now = 10_000;
    const clock = new SegmentClock(1, 0, () => now);
    clock.observe('copy', 0, 0.2); // origin 9 800
    now = 10_170;
    clock.observe('copy', 0.2, 0.2); // 9 770: 30 ms better, ignored
    expect(clock.wallClock('copy', 1)).toBe(9_800 + 1000);
    now = 10_340;
    clock.observe('copy', 0.4, 0.2); // 9 740: 60 ms better than what is in force, taken
    expect(clock.wallClock('copy', 1)).toBe(9_740 + 1000);
  });

  it('keeps the estimate fixed once the first 8 s of media are past', () => {
    let now = 10_000;
    const clock = new SegmentClock(1, 0, () => now);
    clock.observe('copy', 0, 0.2); // origin 9 800
    now = 18_300;
    clock.observe('copy', 8.2, 0.2); // 9 700 would be better, but the estimate is settled
    expect(clock.wallClock('copy', 1)).toBe(9_800 + 1000);
  });
});
