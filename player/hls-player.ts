import Hls, { type ErrorData, type HlsConfig } from 'hls.js';
import { ListenerBag } from './listener-bag';
import { LatencyKeeper } from './latency-keeper';

export type PlaybackState = 'loading' | 'playing' | 'error';

/** A message laid over the video; `retry` adds a button that calls retryNow(). */
export interface Notice {
  text: string;
  retry: boolean;
}

export interface HlsPlayerHooks {
  /** A new Hls instance took over the video, or null when it was torn down. */
  onHls(hls: Hls | null): void;
  onState(state: PlaybackState): void;
  onNotice(notice: Notice | null): void;
  /** The video waits for data (true) or plays again (false). */
  onBuffering(buffering: boolean): void;
  /** Autoplay was refused even muted: the page shows a play button. */
  onPlayBlocked(): void;
  /** Playback reached the end of a finished playlist (EXT-X-ENDLIST). */
  onEnded(): void;
  /**
   * Asked before reloading after a fatal network error. Resolve false when the
   * channel is offline (the page then shows offline and calls stop()).
   */
  shouldRetry(): Promise<boolean>;
}

/**
 * Low-Latency HLS settings. liveSyncDuration(Count) stay unset: the target
 * latency comes from the playlist's PART-INF (latency-keeper.ts), which also
 * does the catch-up, so hls.js's own playback-rate control is off.
 */
export const LL_HLS_CONFIG: Partial<HlsConfig> = {
  lowLatencyMode: true,
  backBufferLength: 30,
  maxLiveSyncPlaybackRate: 1,
  // startLevel stays unset: -1 would spend a bitrate-test fragment before the first frame.
};

const RETRY_MAX_DELAY_MS = 8000;
/** Non-network fatal errors get this many reloads before we give up. */
const OTHER_ERROR_RETRIES = 3;
const MEDIA_ERROR_WINDOW_MS = 10_000;

/**
 * Owns the Hls instance for one source: creates it, recovers from errors
 * (network → reload with backoff, media → recoverMediaError), and destroys it.
 */
export class HlsPlayer {
  private hls: Hls | null = null;
  private src: string | null = null;
  private failed = false;
  /** Bumped by start()/stop() so a late retry of an old session does nothing. */
  private generation = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private retries = 0;
  private mediaErrors = 0;
  private lastMediaErrorAt = 0;
  private readonly videoListeners = new ListenerBag();
  private keeper: LatencyKeeper | null = null;

  constructor(
    private readonly video: HTMLVideoElement,
    private readonly hooks: HlsPlayerHooks,
    private readonly config: Partial<HlsConfig> = LL_HLS_CONFIG,
  ) {}

  get instance(): Hls | null {
    return this.hls;
  }

  /** True while a source is loaded, loading or waiting for a retry. */
  get active(): boolean {
    return this.src !== null && !this.failed;
  }

  start(src: string): void {
    this.stop();
    this.src = src;
    const v = this.video;
    this.videoListeners.on(v, 'playing', () => {
      this.retries = 0;
      this.hooks.onBuffering(false);
      this.hooks.onNotice(null);
      this.hooks.onState('playing');
    });
    this.videoListeners.on(v, 'waiting', () => this.hooks.onBuffering(true));
    this.videoListeners.on(v, 'ended', () => this.hooks.onEnded());
    this.videoListeners.on(v, 'error', () => {
      // hls.js reports its own media errors; this is the native-HLS path.
      if (!this.hls && this.src) this.scheduleRetry(Infinity);
    });
    this.load();
  }

  stop(): void {
    this.generation++;
    this.clearRetry();
    this.teardown();
    this.videoListeners.clear();
    this.src = null;
    this.failed = false;
    this.retries = 0;
    this.mediaErrors = 0;
    this.hooks.onBuffering(false);
  }

  /** Reloads the current source now (the notice's Retry button). */
  retryNow(): void {
    if (this.src === null) return;
    this.clearRetry();
    this.teardown();
    this.failed = false;
    this.retries = 0;
    this.load();
  }

  private load(): void {
    const src = this.src;
    if (src === null) return;
    this.hooks.onNotice(null);
    this.hooks.onState('loading');
    this.hooks.onBuffering(true);
    if (Hls.isSupported()) {
      const hls = new Hls(this.config);
      this.hls = hls;
      hls.on(Hls.Events.ERROR, (_event, data) => this.onError(hls, data));
      hls.on(Hls.Events.MANIFEST_PARSED, () => this.play());
      this.keeper = new LatencyKeeper(hls, this.video);
      hls.attachMedia(this.video);
      hls.loadSource(src);
      this.hooks.onHls(hls);
    } else if (this.video.canPlayType('application/vnd.apple.mpegurl')) {
      // Safari without MSE plays LL-HLS natively.
      this.video.src = src;
      this.play();
    } else {
      this.fail('This browser cannot play HLS video. Try a current Chrome, Firefox, Edge or Safari.');
    }
  }

  private play(): void {
    this.video.play().catch((err: unknown) => {
      if (err instanceof DOMException && err.name === 'NotAllowedError') this.hooks.onPlayBlocked();
      // AbortError: a newer load() interrupted this one; nothing to do.
    });
  }

  private onError(hls: Hls, data: ErrorData): void {
    if (hls !== this.hls || !data.fatal) return;
    switch (data.type) {
      case Hls.ErrorTypes.MEDIA_ERROR:
        this.recoverMedia(hls, data);
        break;
      case Hls.ErrorTypes.NETWORK_ERROR:
        // Keep trying while the channel is live: the origin or the network may come back.
        this.scheduleRetry(Infinity);
        break;
      default:
        this.scheduleRetry(OTHER_ERROR_RETRIES, `Playback stopped (${data.details}).`);
    }
  }

  private recoverMedia(hls: Hls, data: ErrorData): void {
    const now = performance.now();
    if (now - this.lastMediaErrorAt > MEDIA_ERROR_WINDOW_MS) this.mediaErrors = 0;
    this.lastMediaErrorAt = now;
    this.mediaErrors++;
    if (this.mediaErrors === 1) {
      hls.recoverMediaError();
    } else if (this.mediaErrors === 2) {
      hls.swapAudioCodec();
      hls.recoverMediaError();
    } else {
      this.fail(`The video could not be decoded (${data.details}).`);
    }
  }

  private scheduleRetry(limit: number, failMessage = 'The stream could not be loaded.'): void {
    this.teardown();
    this.clearRetry();
    this.retries++;
    if (this.retries > limit) {
      this.fail(failMessage);
      return;
    }
    const generation = this.generation;
    const delay = Math.min(1000 * 2 ** (this.retries - 1), RETRY_MAX_DELAY_MS);
    this.hooks.onState('loading');
    this.hooks.onBuffering(false);
    this.hooks.onNotice({ text: 'Reconnecting to the stream…', retry: false });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.hooks
        .shouldRetry()
        .catch(() => true)
        .then((again) => {
          if (generation !== this.generation) return;
          if (again) this.load();
          else this.stop();
        });
    }, delay);
  }

  private fail(message: string): void {
    this.teardown();
    this.failed = true;
    this.hooks.onBuffering(false);
    this.hooks.onState('error');
    this.hooks.onNotice({ text: message, retry: true });
  }

  private teardown(): void {
    this.keeper?.destroy();
    this.keeper = null;
    if (this.hls) {
      this.hls.destroy();
      this.hls = null;
      this.hooks.onHls(null);
    } else if (this.video.hasAttribute('src')) {
      this.video.removeAttribute('src');
      this.video.load();
    }
  }

  private clearRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }
}
