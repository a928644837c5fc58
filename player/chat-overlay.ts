import type { ChatMessage } from '../chat/chat-events';
import { ChatClient } from './chat-client';
import { renderMessage } from './chat-line';
import { byId } from './element-lookup';
import { ChatIdentity } from './identity';

/**
 * `/chat/<channel>`: the chat alone, for an OBS browser source laid over the
 * stream. Read-only (`overlay: true`: no composer, not counted as a viewer),
 * transparent, large text; each message fades out after `?fade=` seconds.
 */

declare global {
  interface Window {
    /** For tests: the overlay's connection state. */
    __liveroomOverlay?: { readonly state: string };
  }
}

function overlayChannel(pathname: string): string {
  const match = /^\/chat\/([^/]+)\/?$/.exec(pathname);
  if (!match) return 'live';
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return match[1];
  }
}

/** A number option from the query string, within [min, max], or the default. */
function option(params: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const raw = params.get(name);
  const n = raw === null || raw.trim() === '' ? NaN : Number(raw);
  return Number.isFinite(n) ? Math.min(max, Math.max(min, n)) : fallback;
}

const params = new URLSearchParams(window.location.search);
const fadeSeconds = option(params, 'fade', 30, 0, 86_400);
const maxLines = Math.round(option(params, 'max', 8, 1, 50));
const size = Math.round(option(params, 'size', 28, 12, 96));
document.documentElement.style.setProperty('--overlay-size', `${size}px`); // a clamped number, not page input

const channel = overlayChannel(window.location.pathname);
const list = byId('overlay-list', HTMLOListElement);
const status = byId('overlay-status', HTMLElement);
const lines = new Map<string, HTMLLIElement>();
const identity = new ChatIdentity();
let state = 'connecting';
window.__liveroomOverlay = {
  get state() {
    return state;
  },
};

function add(m: ChatMessage): void {
  if (m.channel !== channel || lines.has(m.id)) return;
  const age = Math.max(0, Date.now() - m.ts);
  if (fadeSeconds > 0 && age > fadeSeconds * 1000) return;
  const li = renderMessage(m);
  lines.set(m.id, li);
  list.append(li);
  while (list.children.length > maxLines) {
    const first = list.firstElementChild as HTMLLIElement | null;
    if (!first) break;
    drop(first);
  }
  if (typeof li.animate !== 'function') return;
  li.animate([{ transform: 'translateY(12px)', opacity: 0 }, { transform: 'none', opacity: 1 }], { duration: 250, easing: 'ease-out' });
  if (fadeSeconds > 0) {
    const fade = li.animate([{ opacity: 1 }, { opacity: 0 }], { duration: 800, delay: Math.max(0, fadeSeconds * 1000 - age - 800), fill: 'forwards' });
    fade.onfinish = () => drop(li);
  }
}

function drop(li: HTMLLIElement): void {
  for (const [id, el] of lines) if (el === li) lines.delete(id);
  li.remove();
}

const client = new ChatClient(
  () => ({ channel, identity: identity.identity, name: 'Overlay', overlay: true, batch: true }),
  {
    onState: (s, error) => {
      state = s;
      document.body.dataset.chat = s;
      // Only lasting trouble is shown: an OBS scene should stay clean.
      status.textContent = s === 'refused' ? error?.message ?? 'The chat is not available.' : '';
      status.hidden = status.textContent === '';
    },
    onBadToken: () => {},
    welcome: (w) => {
      if (w.channel !== channel) return;
      for (const li of [...lines.values()]) drop(li);
      for (const m of w.history.slice(-maxLines)) add(m);
    },
    message: add,
    messages: (batch) => {
      if (Array.isArray(batch)) for (const m of batch) add(m);
    },
    'message:deleted': (d) => {
      const li = lines.get(d.id);
      if (li) drop(li);
    },
    notice: () => {},
    settings: () => {},
    likes: () => {},
    viewers: () => {},
  },
);
client.start();
window.addEventListener('pagehide', () => client.stop());
window.addEventListener('pageshow', (ev) => {
  if (ev.persisted) client.start();
});
