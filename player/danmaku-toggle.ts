import { BrowserStore } from './browser-store';
import type { DanmakuOverlay } from './danmaku-overlay';
import { ListenerBag } from './listener-bag';

const KEY = 'liveroom.danmaku';

/** The button that turns the bullet-comment overlay on and off; the choice is remembered (localStorage). Shortcut: d. */
export class DanmakuToggle {
  private readonly listeners = new ListenerBag();
  private readonly store = BrowserStore.local();

  constructor(
    private readonly button: HTMLButtonElement,
    private readonly overlay: DanmakuOverlay,
  ) {}

  start(): void {
    this.set(this.store.get(KEY) !== 'off', false);
    this.listeners.on(this.button, 'click', () => this.set(!this.overlay.isEnabled));
    this.listeners.on(document, 'keydown', (ev) => {
      if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
      const t = ev.target;
      if (t instanceof HTMLElement && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
      if (ev.key === 'd' || ev.key === 'D') this.set(!this.overlay.isEnabled);
    });
  }

  stop(): void {
    this.listeners.clear();
  }

  private set(on: boolean, remember = true): void {
    this.overlay.setEnabled(on);
    if (remember) this.store.set(KEY, on ? 'on' : 'off');
    this.button.setAttribute('aria-pressed', String(on));
    const label = on ? 'Hide bullet comments (d)' : 'Show bullet comments (d)';
    this.button.setAttribute('aria-label', label);
    this.button.title = label;
  }
}
