import type { ChatMessage, SystemNotice } from '../chat/chat-events';
import { renderMessage, renderNotice } from './chat-line';
import { ListenerBag } from './listener-bag';

export interface ChatMessageListOptions {
  /** Lines kept in the page; older ones are dropped. */
  maxLines?: number;
}

/** Scrolled this close to the end counts as "at the end": new lines keep it there. */
const STICKY_PX = 48;

/**
 * The scrolling message log of the chat panel. New lines are batched and
 * added once per animation frame (a busy chat does one layout per frame, not
 * one per message); the list follows new lines while the viewer is at the
 * end, and offers a "new messages" button when they have scrolled up.
 * Moderators get a menu button on each line.
 */
export class ChatMessageList {
  private readonly byId = new Map<string, HTMLLIElement>();
  private readonly messageOf = new WeakMap<Element, ChatMessage>();
  private readonly listeners = new ListenerBag();
  private readonly maxLines: number;
  private pending: HTMLLIElement[] = [];
  private frame: number | null = null;
  private stick = true;
  private moderating = false;
  private youId: string | null = null;
  private resize: ResizeObserver | null = null;

  constructor(
    private readonly list: HTMLOListElement,
    private readonly more: HTMLButtonElement,
    private readonly onModerate: (message: ChatMessage, anchor: HTMLElement) => void,
    opts: ChatMessageListOptions = {},
  ) {
    this.maxLines = opts.maxLines ?? 200;
  }

  start(): void {
    // The list shrinks when a panel opens or the phone keyboard comes up: stay at the end if we were there.
    this.resize = new ResizeObserver(() => {
      if (this.stick) this.list.scrollTop = this.list.scrollHeight;
    });
    this.resize.observe(this.list);
    this.listeners.on(this.list, 'scroll', () => {
      const { scrollHeight, scrollTop, clientHeight } = this.list;
      this.stick = scrollHeight - scrollTop - clientHeight < STICKY_PX;
      if (this.stick) this.more.hidden = true;
    });
    this.listeners.on(this.more, 'click', () => {
      this.stick = true;
      this.more.hidden = true;
      this.list.scrollTop = this.list.scrollHeight;
    });
    this.listeners.on(this.list, 'click', (ev) => {
      const button = ev.target instanceof Element ? ev.target.closest('.chat-line-menu') : null;
      const line = button?.closest('.chat-line');
      const message = line ? this.messageOf.get(line) : undefined;
      if (button instanceof HTMLElement && message) this.onModerate(message, button);
    });
  }

  stop(): void {
    this.listeners.clear();
    this.resize?.disconnect();
    this.resize = null;
    if (this.frame !== null) cancelAnimationFrame(this.frame);
    this.frame = null;
  }

  /** After (re)connecting: the server's history replaces what we had (messages may have been deleted meanwhile). */
  reset(history: ChatMessage[], youId: string): void {
    this.youId = youId;
    this.pending = [];
    this.byId.clear();
    this.list.replaceChildren();
    this.stick = true;
    this.more.hidden = true;
    for (const m of history) this.addMessage(m);
  }

  /** False when the message is already in the list (a batch repeats our own, for example). */
  addMessage(m: ChatMessage): boolean {
    if (this.byId.has(m.id)) return false;
    const li = renderMessage(m, { self: m.author.id === this.youId });
    this.messageOf.set(li, m);
    if (this.moderating) li.append(this.menuButton());
    this.byId.set(m.id, li);
    this.queue(li);
    return true;
  }

  addNotice(text: string, level: SystemNotice['level'] | 'error' = 'info'): void {
    this.queue(renderNotice(text, level));
  }

  /** Deleted by a moderator: gone from the list. */
  remove(id: string): void {
    const li = this.byId.get(id);
    if (!li) return;
    this.byId.delete(id);
    li.remove();
    this.pending = this.pending.filter((p) => p !== li);
  }

  /** Shows or hides the per-line moderation buttons. */
  setModerating(on: boolean): void {
    if (on === this.moderating) return;
    this.moderating = on;
    for (const li of this.byId.values()) {
      const button = li.querySelector('.chat-line-menu');
      if (on && !button) li.append(this.menuButton());
      if (!on) button?.remove();
    }
  }

  private menuButton(): HTMLButtonElement {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'chat-line-menu';
    b.setAttribute('aria-label', 'Moderate this message');
    b.title = 'Moderate';
    b.textContent = '⋯';
    return b;
  }

  private queue(li: HTMLLIElement): void {
    this.pending.push(li);
    // A hidden tab gets no animation frames: keep only what would be shown.
    if (this.pending.length > this.maxLines) {
      for (const dropped of this.pending.splice(0, this.pending.length - this.maxLines)) {
        const m = this.messageOf.get(dropped);
        if (m) this.byId.delete(m.id);
      }
    }
    if (this.frame === null) this.frame = requestAnimationFrame(() => this.flush());
  }

  private flush(): void {
    this.frame = null;
    if (this.pending.length === 0) return;
    this.list.append(...this.pending);
    this.pending = [];
    let excess = this.list.children.length - this.maxLines;
    while (excess-- > 0) {
      const first = this.list.firstElementChild;
      if (!first) break;
      const m = this.messageOf.get(first);
      if (m) this.byId.delete(m.id);
      first.remove();
    }
    if (this.stick) this.list.scrollTop = this.list.scrollHeight;
    else this.more.hidden = false;
  }
}
