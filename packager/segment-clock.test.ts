import { SegmentClock } from './segment-clock';

describe('SegmentClock', () => {
  it('gives renditions the same MSN for the same source keyframe, even one frame late or on a shifted timeline', () => {
    let now = 1_000_000;
    const clock = new SegmentClock(1, 7, () => now);
    // "copy" starts at its own t=0; "enc" starts on the same keyframe but its clock reads 0 too, 40 ms later.
    expect(clock.boundaryAt('copy', 0)).toBe(7);
    now += 40;
    expect(clock.boundaryAt('enc', 0)).toBe(7);
    // Keyframes every second; the encoded one lands a frame (33 ms) late.
    for (let k = 1; k <= 5; k++) {
      now += 1000;
      expect(clock.boundaryAt('copy', k)).toBe(7 + k);
      now += 30;
      expect(clock.boundaryAt('enc', k + 0.033)).toBe(7 + k);
    }
    // A keyframe sooner than the segment target after the last boundary opens nothing.
    expect(clock.boundaryAt('copy', 5.5)).toBeUndefined();
  });

  it('learns the offset of a rendition whose timeline starts on a later keyframe', () => {
    let now = 0;
    const clock = new SegmentClock(1, 0, () => now);
    expect(clock.boundaryAt('copy', 0)).toBe(0); // copy starts a GOP earlier
    now += 1000;
    expect(clock.boundaryAt('copy', 1)).toBe(1);
    now += 20;
    expect(clock.boundaryAt('enc', 0)).toBe(1); // enc's t=0 is copy's t=1: matched by arrival time
    now += 1000;
    expect(clock.boundaryAt('copy', 2)).toBe(2);
    expect(clock.boundaryAt('enc', 1)).toBe(2);
    expect(clock.wallClock('enc', 1)).toBe(clock.wallClock('copy', 2));
  });

  it('waits when a rendition arrives first at a keyframe, and places it when the other declares it', () => {
    let now = 0;
    const clock = new SegmentClock(1, 0, () => now);
    expect(clock.boundaryAt('copy', 0)).toBe(0);
    now += 5000;
    expect(clock.boundaryAt('late', 3)).toBeUndefined(); // nothing declared near this arrival yet
    now += 10;
    expect(clock.boundaryAt('copy', 5)).toBe(1); // declares; 'late' learns offset 2
    now += 1000;
    expect(clock.boundaryAt('copy', 6)).toBe(2);
    expect(clock.boundaryAt('late', 4)).toBe(2);
  });
});
