import type { LikeCount } from '../chat/chat-events';
import { compactNumber } from './viewer-count';
import { ListenerBag } from './listener-bag';

/** Taps are summed for this long, then sent as one `like` event (the server aggregates further). */
const BATCH_MS = 200;
/** The protocol's most taps per event. */
const MAX_TAPS_PER_EVENT = 20;
/** Hearts floating at once; more taps or likes add none until some are gone. */
const MAX_HEARTS = 24;
/** Own taps not yet seen in a server count are forgotten after this (the server may have dropped them). */
const OWN_TAPS_TTL_MS = 3000;
const HEART_HUES = ['h0', 'h1', 'h2', 'h3', 'h4'];

/**
 * The like button: every tap floats a heart at once and is counted locally;
 * taps are sent batched. The server's `likes` events ({ total, delta }) float
 * hearts for everybody else's taps (our own, already shown, are subtracted)
 * and set the count.
 */
export class LikeButton {
  private readonly listeners = new ListenerBag();
  private total = 0;
  private unsent = 0;
  /** Taps sent but not yet included in a server count: [time, taps]. */
  private inFlight: Array<[number, number]> = [];
  private batchTimer: ReturnType<typeof setTimeout> | null = null;
  private hearts = 0;
  private enabled = false;

  constructor(
    private readonly button: HTMLButtonElement,
    private readonly countEl: HTMLElement,
    private readonly heartLayer: HTMLElement,
    private readonly sendTaps: (taps: number) => void,
  ) {}

  start(): void {
    this.listeners.on(this.button, 'click', () => this.tap());
    this.render();
  }

  stop(): void {
    this.listeners.clear();
    if (this.batchTimer !== null) clearTimeout(this.batchTimer);
    this.batchTimer = null;
    this.unsent = 0;
    this.heartLayer.replaceChildren();
    this.hearts = 0;
  }

  /** Likes work while connected to the chat. */
  setEnabled(enabled: boolean): void {
    this.enabled = enabled;
    this.render();
  }

  /** The total from the welcome. */
  setTotal(total: number): void {
    this.total = total;
    this.inFlight = [];
    this.render();
  }

  onLikes(l: LikeCount): void {
    this.total = Math.max(this.total, l.total);
    // Our own taps come back in the delta: they already had their hearts.
    let others = l.delta;
    const now = Date.now();
    this.inFlight = this.inFlight.filter(([t]) => now - t < OWN_TAPS_TTL_MS);
    while (others > 0 && this.inFlight.length) {
      const first = this.inFlight[0];
      const used = Math.min(first[1], others);
      first[1] -= used;
      others -= used;
      if (first[1] === 0) this.inFlight.shift();
    }
    for (let i = 0; i < Math.min(others, 8); i++) setTimeout(() => this.float(false), i * 90);
    this.render();
  }

  private tap(): void {
    if (!this.enabled) return;
    this.unsent++;
    this.float(true);
    this.render();
    if (this.unsent >= MAX_TAPS_PER_EVENT) this.flush();
    else if (this.batchTimer === null) this.batchTimer = setTimeout(() => this.flush(), BATCH_MS);
  }

  private flush(): void {
    if (this.batchTimer !== null) clearTimeout(this.batchTimer);
    this.batchTimer = null;
    const taps = Math.min(this.unsent, MAX_TAPS_PER_EVENT);
    this.unsent -= taps;
    if (taps > 0) {
      this.sendTaps(taps);
      this.inFlight.push([Date.now(), taps]);
    }
    if (this.unsent > 0) this.batchTimer = setTimeout(() => this.flush(), BATCH_MS);
  }

  private float(own: boolean): void {
    if (this.hearts >= MAX_HEARTS || document.hidden) return;
    const heart = document.createElement('span');
    heart.className = `heart ${own ? 'heart-own' : HEART_HUES[Math.floor(Math.random() * HEART_HUES.length)]}`;
    heart.textContent = '♥';
    heart.setAttribute('aria-hidden', 'true');
    this.heartLayer.append(heart);
    this.hearts++;
    const drift = (Math.random() - 0.5) * 60;
    const rise = 140 + Math.random() * 90;
    const done = () => {
      heart.remove();
      this.hearts--;
    };
    if (typeof heart.animate !== 'function') {
      setTimeout(done, 1500);
      return;
    }
    const anim = heart.animate(
      [
        { transform: 'translate3d(0, 0, 0) scale(0.6)', opacity: 0 },
        { transform: `translate3d(${drift * 0.3}px, -${rise * 0.2}px, 0) scale(1.1)`, opacity: 1, offset: 0.15 },
        { transform: `translate3d(${-drift * 0.4}px, -${rise * 0.6}px, 0) scale(1)`, opacity: 0.9, offset: 0.6 },
        { transform: `translate3d(${drift}px, -${rise}px, 0) scale(0.9)`, opacity: 0 },
      ],
      { duration: 1400 + Math.random() * 700, easing: 'ease-out' },
    );
    anim.onfinish = done;
  }

  private render(): void {
    const pending = this.unsent + this.inFlight.reduce((sum, [, n]) => sum + n, 0);
    const shown = this.total + pending;
    this.countEl.textContent = compactNumber(shown);
    this.button.disabled = !this.enabled;
    this.button.title = `${shown.toLocaleString()} likes`;
    this.button.setAttribute('aria-label', `Like (${shown.toLocaleString()} likes)`);
  }
}
