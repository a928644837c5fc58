import type Hls from 'hls.js';
import { ListenerBag } from './listener-bag';

export interface LatencySource {
  hls(): Hls | null;
  video: HTMLVideoElement;
  /** True while frames are moving (page state 'playing'). */
  playing(): boolean;
}

/** How far past hls.js's target latency counts as "behind" (seconds). */
const BEHIND_SLACK_S = 2;

/**
 * "LIVE · 1.2 s": seconds behind the live edge (hls.latency), plus the
 * glass-to-glass estimate from EXT-X-PROGRAM-DATE-TIME when there is one.
 * Clicking it jumps to the live edge.
 */
export class LatencyReadout {
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly listeners = new ListenerBag();

  constructor(
    private readonly button: HTMLButtonElement,
    private readonly edgeText: HTMLElement,
    private readonly glassText: HTMLElement,
    private readonly source: LatencySource,
    private readonly intervalMs = 250,
  ) {}

  start(): void {
    if (this.timer) return;
    this.listeners.on(this.button, 'click', () => this.jumpToLive());
    this.timer = setInterval(() => this.render(), this.intervalMs);
    this.render();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.listeners.clear();
  }

  render(): void {
    const hls = this.source.hls();
    const el = this.button;
    if (!hls || !this.source.playing()) {
      this.edgeText.textContent = 'LIVE';
      this.glassText.textContent = '';
      el.dataset.behind = 'false';
      delete el.dataset.latency;
      delete el.dataset.glass;
      return;
    }
    const latency = hls.latency;
    this.edgeText.textContent = `LIVE · ${latency.toFixed(1)} s`;
    el.dataset.latency = latency.toFixed(3);

    const date = hls.playingDate;
    const glass = date ? (Date.now() - date.getTime()) / 1000 : NaN;
    // A negative or huge value means the viewer's clock disagrees with the server's.
    if (glass >= 0 && glass < 600) {
      this.glassText.textContent = `${glass.toFixed(1)} s since ingest`;
      el.dataset.glass = glass.toFixed(3);
    } else {
      this.glassText.textContent = '';
      delete el.dataset.glass;
    }

    const target = hls.targetLatency ?? 3;
    const behind = latency > target + BEHIND_SLACK_S;
    el.dataset.behind = String(behind);
    el.title = behind ? 'Behind the live edge: click to jump to live' : 'Seconds behind the live edge';
  }

  private jumpToLive(): void {
    const hls = this.source.hls();
    const edge = hls?.liveSyncPosition;
    const video = this.source.video;
    if (edge != null && Number.isFinite(edge)) video.currentTime = edge;
    if (video.paused) void video.play().catch(() => undefined);
  }
}
