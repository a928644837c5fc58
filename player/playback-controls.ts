import { ListenerBag } from './listener-bag';

export interface PlaybackControlElements {
  video: HTMLVideoElement;
  /** The box that goes fullscreen (video plus overlays). */
  frame: HTMLElement;
  muteToggle: HTMLButtonElement;
  unmutePill: HTMLButtonElement;
  fullscreen: HTMLButtonElement;
  playBlocked: HTMLButtonElement;
}

/**
 * Mute/unmute (the video autoplays muted, since browsers block unmuted
 * autoplay), fullscreen, the play button shown when autoplay is refused, and
 * the keyboard shortcuts m / f.
 */
export class PlaybackControls {
  private readonly listeners = new ListenerBag();
  private showing = false;

  constructor(private readonly els: PlaybackControlElements) {}

  start(): void {
    const { video, frame, muteToggle, unmutePill, fullscreen, playBlocked } = this.els;
    video.muted = true;
    this.listeners.on(video, 'volumechange', () => this.render());
    this.listeners.on(video, 'playing', () => this.setPlayBlocked(false));
    this.listeners.on(muteToggle, 'click', () => this.setMuted(!video.muted));
    this.listeners.on(unmutePill, 'click', () => this.setMuted(false));
    this.listeners.on(playBlocked, 'click', () => {
      this.setPlayBlocked(false);
      void video.play().catch(() => this.setPlayBlocked(true));
    });
    this.listeners.on(fullscreen, 'click', () => this.toggleFullscreen());
    this.listeners.on(frame, 'dblclick', () => this.toggleFullscreen());
    this.listeners.on(document, 'fullscreenchange', () => this.render());
    this.listeners.on(document, 'keydown', (ev) => this.onKey(ev));
    fullscreen.hidden = !document.fullscreenEnabled;
    this.render();
  }

  stop(): void {
    this.listeners.clear();
  }

  /** Whether there is a picture to control (hides the unmute pill otherwise). */
  setVideoShowing(showing: boolean): void {
    this.showing = showing;
    if (!showing) this.setPlayBlocked(false);
    this.render();
  }

  setPlayBlocked(blocked: boolean): void {
    this.els.playBlocked.hidden = !blocked;
  }

  private setMuted(muted: boolean): void {
    const { video } = this.els;
    video.muted = muted;
    if (!muted && video.volume === 0) video.volume = 1;
    // Unmuting is a user gesture: a good moment to resume if autoplay stalled.
    if (!muted && video.paused && this.showing) void video.play().catch(() => undefined);
  }

  private toggleFullscreen(): void {
    if (document.fullscreenElement) void document.exitFullscreen().catch(() => undefined);
    else void this.els.frame.requestFullscreen().catch(() => undefined);
  }

  private onKey(ev: KeyboardEvent): void {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const target = ev.target;
    if (target instanceof HTMLElement && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    if (ev.key === 'm' || ev.key === 'M') this.setMuted(!this.els.video.muted);
    else if (ev.key === 'f' || ev.key === 'F') this.toggleFullscreen();
  }

  private render(): void {
    const { video, muteToggle, unmutePill, fullscreen } = this.els;
    const muted = video.muted || video.volume === 0;
    muteToggle.dataset.muted = String(muted);
    muteToggle.setAttribute('aria-label', muted ? 'Unmute (m)' : 'Mute (m)');
    muteToggle.title = muted ? 'Unmute (m)' : 'Mute (m)';
    unmutePill.hidden = !(muted && this.showing);
    const full = document.fullscreenElement !== null;
    fullscreen.dataset.active = String(full);
    fullscreen.setAttribute('aria-label', full ? 'Exit fullscreen (f)' : 'Fullscreen (f)');
    fullscreen.title = full ? 'Exit fullscreen (f)' : 'Fullscreen (f)';
  }
}
