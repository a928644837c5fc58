/**
 * Two renditions' keyframes this close (seconds) are the same source keyframe:
 * ffmpeg's `-force_key_frames source` can place the encoded keyframe a frame
 * after the source's.
 */
const SAME_KEYFRAME = 0.15;

interface Boundary {
  /** Media time on the clock's timeline (the first rendition's). */
  time: number;
  msn: number;
  /** When it was declared, ms (arrival wall clock). */
  wall: number;
  /** Its EXT-X-PROGRAM-DATE-TIME, fixed when declared so every rendition writes the same. */
  pdt: number;
}

/**
 * Where segments start, shared by the renditions of one ffmpeg run, so that
 * segment N covers the same instants in every rendition.
 *
 * ffmpeg's mp4 muxer starts each output's clock at that output's first frame,
 * and a copied rendition may start on an earlier keyframe than an encoded one.
 * So each rendition gets an offset onto the clock's timeline: the first
 * rendition defines it; another learns its offset from a keyframe that arrives
 * (in wall time) next to a boundary, since keyframes are forced at the same
 * source instants in every rendition. After that, matching is exact.
 */
export class SegmentClock {
  private readonly boundaries: Boundary[] = [];
  private readonly offsets = new Map<string, number>();
  /** Renditions still without an offset: their latest keyframe. */
  private readonly unplaced = new Map<string, { t: number; wall: number }>();
  /** Wall clock of media time 0 on the clock's timeline, ms. */
  private origin?: number;

  constructor(
    private readonly segmentTarget: number,
    private readonly firstMsn: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The MSN of a segment that opens at keyframe `t` of rendition `name`, or undefined when none opens there. */
  boundaryAt(name: string, t: number): number | undefined {
    const wall = this.now();
    let offset = this.offsets.get(name);
    if (offset === undefined) {
      if (this.boundaries.length === 0) {
        offset = 0;
      } else {
        // Arrival within a third of a segment: the same source keyframe.
        const window = (this.segmentTarget * 1000) / 3;
        const near = this.boundaries.filter((b) => Math.abs(b.wall - wall) < window).sort((a, b) => Math.abs(a.wall - wall) - Math.abs(b.wall - wall))[0];
        if (!near) {
          this.unplaced.set(name, { t, wall });
          return undefined;
        }
        offset = near.time - t;
      }
      this.offsets.set(name, offset);
      this.unplaced.delete(name);
    }
    const time = t + offset;
    const hit = this.boundaries.find((b) => Math.abs(b.time - time) < SAME_KEYFRAME);
    if (hit) return hit.msn;
    const last = this.boundaries[this.boundaries.length - 1];
    if (!last) return this.add(time, this.firstMsn, wall);
    if (time - last.time >= Math.max(this.segmentTarget - 0.001, SAME_KEYFRAME)) return this.add(time, last.msn + 1, wall);
    return undefined;
  }

  /**
   * Notes a fragment's arrival. Its end was captured at least this long ago, so
   * the least-delayed fragment so far gives the best wall clock for media time 0
   * (the first fragments arrive in a burst, late, while ffmpeg probes the input).
   */
  observe(name: string, t: number, duration: number): void {
    const end = t + (this.offsets.get(name) ?? 0) + duration;
    const origin = this.now() - end * 1000;
    if (this.origin === undefined || origin < this.origin) this.origin = origin;
  }

  /** Wall clock (ms) of media time `t` of rendition `name` (EXT-X-PROGRAM-DATE-TIME). */
  wallClock(name: string, t: number): number {
    const time = t + (this.offsets.get(name) ?? 0);
    const b = this.boundaries.find((x) => Math.abs(x.time - time) < SAME_KEYFRAME);
    return b ? b.pdt : (this.origin ?? this.now()) + time * 1000;
  }

  private add(time: number, msn: number, wall: number) {
    this.boundaries.push({ time, msn, wall, pdt: (this.origin ?? wall) + time * 1000 });
    if (this.boundaries.length > 64) this.boundaries.shift();
    // A rendition that arrived first at this same keyframe learns its offset now.
    const window = (this.segmentTarget * 1000) / 3;
    for (const [name, k] of this.unplaced) {
      if (Math.abs(k.wall - wall) < window) {
        this.offsets.set(name, time - k.t);
        this.unplaced.delete(name);
      }
    }
    return msn;
  }
}
