import Hls from 'hls.js';

/** Our target latency behind the live edge, in part targets (RFC 8216bis: PART-HOLD-BACK is at least 2). */
export const TARGET_PARTS = 2.5;
/** Behind the target by more than this (seconds), with enough buffered: play faster. */
const CATCH_UP_ABOVE_S = 0.1;
/** Back to normal speed within this of the target, or when the buffer runs this low. */
const CATCH_UP_UNTIL_S = 0.03;
const CATCH_UP_MIN_BUFFER_S = 0.25;
const CATCH_UP_RATE = 1.1;
/** Behind the live sync point by more than this (seconds), with it buffered: jump. */
const JUMP_ABOVE_S = 0.35;
/** At most one jump (a visible skip) per this many ms. */
const JUMP_EVERY_MS = 5000;

/**
 * Keeps our page close to the live edge, for one Hls instance.
 *
 * - **Target.** hls.js aims at the playlist's PART-HOLD-BACK (3 part targets,
 *   what RFC 8216bis recommends for every player). Our page aims closer,
 *   TARGET_PARTS part targets, read from the playlist's PART-INF; each stall adds
 *   one part target (hls.js's liveSyncOnStallIncrease), up to a target duration.
 * - **Catch-up.** hls.js only speeds up while more than a second is buffered,
 *   which a sub-second target never has, so a viewer who fell behind stayed
 *   behind. We play at CATCH_UP_RATE while behind the target with a quarter of
 *   a second buffered (hls.js's own rate control is off: maxLiveSyncPlaybackRate 1).
 * - **Jump.** hls.js starts at the keyframe that opens a segment, most of a
 *   segment behind; when the live sync point is already buffered, jump to it.
 */
export class LatencyKeeper {
  private targetSet = false;
  private lastJump = 0;

  constructor(
    private readonly hls: Hls,
    private readonly video: HTMLVideoElement,
  ) {
    hls.on(Hls.Events.LEVEL_UPDATED, this.onLevelUpdated);
    hls.on(Hls.Events.FRAG_BUFFERED, this.onBuffered);
    video.addEventListener('timeupdate', this.onTimeUpdate);
  }

  destroy(): void {
    this.hls.off(Hls.Events.LEVEL_UPDATED, this.onLevelUpdated);
    this.hls.off(Hls.Events.FRAG_BUFFERED, this.onBuffered);
    this.video.removeEventListener('timeupdate', this.onTimeUpdate);
    if (this.video.playbackRate !== 1) this.video.playbackRate = 1;
  }

  private readonly onLevelUpdated = (_e: unknown, data: { details: { live: boolean; partTarget: number } }): void => {
    const { live, partTarget } = data.details;
    if (this.targetSet || !live || !(partTarget > 0)) return;
    this.targetSet = true;
    this.hls.config.liveSyncOnStallIncrease = partTarget;
    this.hls.targetLatency = TARGET_PARTS * partTarget;
  };

  private bufferedAhead(): number {
    const v = this.video;
    for (let i = 0; i < v.buffered.length; i++) {
      if (v.buffered.start(i) <= v.currentTime + 0.05 && v.currentTime < v.buffered.end(i)) return v.buffered.end(i) - v.currentTime;
    }
    return 0;
  }

  private readonly onTimeUpdate = (): void => {
    const v = this.video;
    const latency = this.hls.latency;
    const target = this.hls.targetLatency;
    if (v.paused || target === null || !Number.isFinite(latency) || latency <= 0) return;
    const behind = latency - target;
    const ahead = this.bufferedAhead();
    const rate = v.playbackRate === 1
      ? (behind > CATCH_UP_ABOVE_S && ahead > CATCH_UP_MIN_BUFFER_S ? CATCH_UP_RATE : 1)
      : (behind < CATCH_UP_UNTIL_S || ahead < CATCH_UP_MIN_BUFFER_S / 2 ? 1 : CATCH_UP_RATE);
    if (rate !== v.playbackRate) v.playbackRate = rate;
  };

  private readonly onBuffered = (): void => {
    const v = this.video;
    const target = this.hls.liveSyncPosition;
    const now = performance.now();
    if (target === null || v.paused || v.readyState < 3 || now - this.lastJump < JUMP_EVERY_MS) return;
    if (target - v.currentTime < JUMP_ABOVE_S) return;
    for (let i = 0; i < v.buffered.length; i++) {
      if (v.buffered.start(i) <= target && target <= v.buffered.end(i) - 0.1) {
        this.lastJump = now;
        v.currentTime = target;
        return;
      }
    }
  };
}
