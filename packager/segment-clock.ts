/**
 * A keyframe this close (seconds) to a boundary is that boundary. The renditions of
 * one ffmpeg run share the publisher's timestamps (transcoder/ffmpeg-args.ts: -copyts,
 * frag_discont, -enc_time_base -1), so a boundary's keyframe carries the same media
 * time in every rendition, to the tick. The slack only keeps the numbering right if
 * an encoder ever places a keyframe a frame off; `misaligned` counts those.
 */
const SAME_KEYFRAME = 0.15;
/** Below this difference (seconds) two renditions' keyframe times are the same instant (tick rounding). */
const EXACT = 0.0005;
/**
 * A better wall-clock estimate for media time 0 moves the PROGRAM-DATE-TIME of
 * the segments after it by as much; smaller improvements than this (ms) are
 * ignored. Shaka Player places every segment by its PROGRAM-DATE-TIME and
 * re-bases its timestampOffset when that moves against the media time: a move
 * of 2 ms made MSE drop every frame up to the next keyframe, so Shaka showed
 * the first part of each segment and froze for the rest (issue 12). Arrival
 * jitter is a few ms; the start-up burst (ffmpeg probing) hundreds.
 */
const MIN_ORIGIN_STEP_MS = 50;
/**
 * The estimate is settled after this much media (seconds) from the run's first
 * fragment and then fixed: past the start-up burst, a "better" arrival is only
 * the machine's load easing, and each move would cost Shaka a segment.
 */
const SETTLE_S = 8;

interface Boundary {
  /** Media time, seconds, on the run's shared timeline. */
  time: number;
  msn: number;
  /** Its EXT-X-PROGRAM-DATE-TIME, fixed when declared so every rendition writes the same. */
  pdt: number;
}

/**
 * Where segments start, shared by the renditions of one ffmpeg run, so that
 * segment N starts at the same media time, and carries the same
 * PROGRAM-DATE-TIME, in every rendition.
 *
 * Whichever rendition first reaches a keyframe at least a segment target after
 * the last boundary declares the next one; every other rendition opens segment N
 * on its keyframe at the same media time.
 */
export class SegmentClock {
  private readonly boundaries: Boundary[] = [];
  /** Wall clock of media time 0 on the run's timeline, ms. */
  private origin?: number;
  /** Media time of the first fragment observed. */
  private firstT?: number;
  /** Keyframes matched to a boundary that were not at exactly its media time. */
  misaligned = 0;

  constructor(
    private readonly segmentTarget: number,
    private readonly firstMsn: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The MSN of a segment that opens at keyframe `t` of rendition `name`, or undefined when none opens there. */
  boundaryAt(_name: string, t: number): number | undefined {
    const hit = this.boundaries.find((b) => Math.abs(b.time - t) < SAME_KEYFRAME);
    if (hit) {
      if (Math.abs(hit.time - t) > EXACT) this.misaligned++;
      return hit.msn;
    }
    const last = this.boundaries[this.boundaries.length - 1];
    if (!last) return this.add(t, this.firstMsn);
    if (t - last.time >= Math.max(this.segmentTarget - 0.001, SAME_KEYFRAME)) return this.add(t, last.msn + 1);
    return undefined;
  }

  /**
   * Notes a fragment's arrival. Its end was captured at least this long ago, so
   * the least-delayed fragment so far (in practice the copied rendition's, which
   * ffmpeg hands over as soon as the publisher's next frame arrives) gives the best
   * wall clock for media time 0. The first fragments arrive in a burst, late, while
   * ffmpeg probes the input; the estimate only improves, in steps of at least
   * MIN_ORIGIN_STEP_MS so that jitter never moves PROGRAM-DATE-TIME against the
   * media, and only during the first SETTLE_S seconds of media.
   */
  observe(_name: string, t: number, duration: number): void {
    this.firstT ??= t;
    if (this.origin !== undefined && t - this.firstT > SETTLE_S) return;
    const origin = this.now() - (t + duration) * 1000;
    if (this.origin === undefined || origin <= this.origin - MIN_ORIGIN_STEP_MS) this.origin = origin;
  }

  /** Wall clock (ms) of media time `t` (EXT-X-PROGRAM-DATE-TIME): a boundary's own when `t` is one. */
  wallClock(_name: string, t: number): number {
    const b = this.boundaries.find((x) => Math.abs(x.time - t) < SAME_KEYFRAME);
    return b ? b.pdt : (this.origin ?? this.now()) + t * 1000;
  }

  private add(time: number, msn: number) {
    this.boundaries.push({ time, msn, pdt: Math.round((this.origin ?? this.now()) + time * 1000) });
    if (this.boundaries.length > 64) this.boundaries.shift();
    return msn;
  }
}
