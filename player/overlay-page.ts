import type { ChatMessage } from '../chat/chat-events';
import { ChatClient } from './chat-client';
import { renderMessage } from './chat-line';
import { byId } from './element-lookup';
import { ChatIdentity } from './identity';

/** What tests read from `window.__liveroomOverlay`. */
export interface OverlayHandle {
  readonly state: string;
}

export interface OverlayOptions {
  /** Seconds a message stays on screen; 0 keeps it. */
  fadeSeconds: number;
  maxLines: number;
  /** Font size, px. */
  size: number;
}

/** A number option from the query string, within [min, max], or the default. */
function option(params: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const raw = params.get(name);
  const n = raw === null || raw.trim() === '' ? NaN : Number(raw);
  return Number.isFinite(n) ? Math.min(max, Math.max(min, n)) : fallback;
}

/** `?fade=30&max=8&size=28`, each clamped. */
export function overlayOptions(search: string): OverlayOptions {
  const params = new URLSearchParams(search);
  return {
    fadeSeconds: option(params, 'fade', 30, 0, 86_400),
    maxLines: Math.round(option(params, 'max', 8, 1, 50)),
    size: Math.round(option(params, 'size', 28, 12, 96)),
  };
}

/**
 * `/chat/<channel>`: the chat alone, for an OBS browser source laid over the
 * stream. Read-only (`overlay: true`: no composer, not counted as a viewer),
 * transparent, large text; each message fades out after `?fade=` seconds.
 * start() connects, stop() disconnects (the page going into the back/forward cache).
 */
export class OverlayPage {
  readonly handle: OverlayHandle;
  private state = 'connecting';
  private readonly list = byId('overlay-list', HTMLOListElement);
  private readonly status = byId('overlay-status', HTMLElement);
  private readonly lines = new Map<string, HTMLLIElement>();
  private readonly client: ChatClient;

  constructor(
    private readonly channel: string,
    private readonly options: OverlayOptions,
  ) {
    document.documentElement.style.setProperty('--overlay-size', `${options.size}px`); // a clamped number, not page input
    const page = this;
    this.handle = {
      get state() {
        return page.state;
      },
    };
    const identity = new ChatIdentity();
    this.client = new ChatClient(
      () => ({ channel, identity: identity.identity, name: 'Overlay', overlay: true, batch: true }),
      {
        onState: (s, error) => {
          this.state = s;
          document.body.dataset.chat = s;
          // Only lasting trouble is shown: an OBS scene should stay clean.
          this.status.textContent = s === 'refused' ? error?.message ?? 'The chat is not available.' : '';
          this.status.hidden = this.status.textContent === '';
        },
        onBadToken: () => {},
        welcome: (w) => {
          if (w.channel !== channel) return;
          for (const li of [...this.lines.values()]) this.drop(li);
          for (const m of w.history.slice(-options.maxLines)) this.add(m);
        },
        message: (m) => this.add(m),
        messages: (batch) => {
          if (Array.isArray(batch)) for (const m of batch) this.add(m);
        },
        'message:deleted': (d) => {
          const li = this.lines.get(d.id);
          if (li) this.drop(li);
        },
        notice: () => {},
        settings: () => {},
        likes: () => {},
        viewers: () => {},
      },
    );
  }

  start(): void {
    this.client.start();
  }

  stop(): void {
    this.client.stop();
  }

  private add(m: ChatMessage): void {
    const { fadeSeconds, maxLines } = this.options;
    if (m.channel !== this.channel || this.lines.has(m.id)) return;
    const age = Math.max(0, Date.now() - m.ts);
    if (fadeSeconds > 0 && age > fadeSeconds * 1000) return;
    const li = renderMessage(m);
    this.lines.set(m.id, li);
    this.list.append(li);
    while (this.list.children.length > maxLines) {
      const first = this.list.firstElementChild as HTMLLIElement | null;
      if (!first) break;
      this.drop(first);
    }
    if (typeof li.animate !== 'function') return;
    li.animate([{ transform: 'translateY(12px)', opacity: 0 }, { transform: 'none', opacity: 1 }], { duration: 250, easing: 'ease-out' });
    if (fadeSeconds > 0) {
      const fade = li.animate([{ opacity: 1 }, { opacity: 0 }], { duration: 800, delay: Math.max(0, fadeSeconds * 1000 - age - 800), fill: 'forwards' });
      fade.onfinish = () => this.drop(li);
    }
  }

  private drop(li: HTMLLIElement): void {
    for (const [id, el] of this.lines) if (el === li) this.lines.delete(id);
    li.remove();
  }
}
