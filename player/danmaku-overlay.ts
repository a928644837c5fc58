import type { DanmakuColor, DanmakuMode } from '../chat/chat-events';
import { paletteColor } from './chat-line';
import { ListenerBag } from './listener-bag';

export interface DanmakuItem {
  id: string;
  text: string;
  mode: DanmakuMode;
  color: DanmakuColor;
  /** The viewer's own comment: outlined, and first in the queue. */
  self: boolean;
}

interface Row {
  /** When a new scrolling item may enter (the previous one's tail is in, plus a gap). */
  enterFreeAt: number;
  /** When the last scrolling item has fully left. */
  scrollClearAt: number;
  /** When the pinned (top/bottom) item in this row goes away. */
  pinnedUntil: number;
}

interface Waiting extends DanmakuItem {
  since: number;
}

/** Most items on screen at once, whatever the chat rate: beyond this it stops being readable. */
const MAX_ON_SCREEN = 60;
/** Items waiting for a free lane; older ones are dropped first. */
const MAX_QUEUE = 24;
/** An item that found no lane for this long is dropped (it would be stale). */
const MAX_WAIT_MS = 2500;
const PINNED_MS = 4500;
/** Scrolling items use the top part of the picture; the rest stays clear (faces, subtitles). */
const SCROLL_AREA = 0.8;
const ITEM_PADDING_PX = 12;
const RETRY_MS = 120;

/**
 * Bullet comments over the video. Scrolling items move right to left at one
 * speed for everybody (so none catches up with the one ahead) in lanes: an
 * item enters a lane only when the previous one there is fully in, plus a gap.
 * Top and bottom items are pinned, centred, in a lane of their own for a few
 * seconds. When no lane is free the item waits briefly and is then dropped,
 * and at most MAX_ON_SCREEN items fly at once: excess is dropped here, on the
 * client, not by the server.
 *
 * Rendering: each item is a span moved by a Web Animation on `transform`
 * (compositor-only, no layout per frame). Widths come from canvas
 * measureText and the size from a ResizeObserver, so placing an item never
 * forces a layout.
 */
export class DanmakuOverlay {
  private readonly listeners = new ListenerBag();
  private readonly flying = new Map<string, { el: HTMLElement; anim: Animation | null }>();
  private rows: Row[] = [];
  private queue: Waiting[] = [];
  private width = 0;
  private height = 0;
  private fontSize = 24;
  private rowHeight = 32;
  private font = '';
  private ctx: CanvasRenderingContext2D | null = null;
  private observer: ResizeObserver | null = null;
  private frame: number | null = null;
  private retry: ReturnType<typeof setTimeout> | null = null;
  private enabled = true;

  constructor(private readonly layer: HTMLElement) {}

  start(): void {
    this.ctx = document.createElement('canvas').getContext('2d');
    this.observer = new ResizeObserver((entries) => {
      const box = entries[entries.length - 1]?.contentRect;
      if (box) this.resize(box.width, box.height);
    });
    this.observer.observe(this.layer);
    // A background tab gets no frames; comments from then would all arrive at once on return.
    this.listeners.on(document, 'visibilitychange', () => {
      if (document.hidden) this.clear();
    });
  }

  stop(): void {
    this.observer?.disconnect();
    this.observer = null;
    this.listeners.clear();
    this.clear();
  }

  get isEnabled(): boolean {
    return this.enabled;
  }

  setEnabled(on: boolean): void {
    this.enabled = on;
    this.layer.hidden = !on;
    if (!on) this.clear();
  }

  /** Items currently on screen. */
  get count(): number {
    return this.flying.size;
  }

  push(item: DanmakuItem): void {
    if (!this.enabled || document.hidden || !item.text) return;
    if (this.flying.has(item.id) || this.queue.some((w) => w.id === item.id)) return;
    const waiting = { ...item, since: performance.now() };
    if (item.self) this.queue.unshift(waiting);
    else this.queue.push(waiting);
    while (this.queue.length > MAX_QUEUE) {
      const oldest = this.queue.findIndex((w) => !w.self);
      this.queue.splice(oldest >= 0 ? oldest : this.queue.length - 1, 1);
    }
    this.schedule();
  }

  /** A deleted message leaves the screen at once. */
  remove(id: string): void {
    this.queue = this.queue.filter((w) => w.id !== id);
    this.drop(id);
  }

  clear(): void {
    this.queue = [];
    for (const id of [...this.flying.keys()]) this.drop(id);
    for (const row of this.rows) row.enterFreeAt = row.scrollClearAt = row.pinnedUntil = 0;
    if (this.frame !== null) cancelAnimationFrame(this.frame);
    if (this.retry !== null) clearTimeout(this.retry);
    this.frame = this.retry = null;
  }

  private resize(width: number, height: number): void {
    this.width = width;
    this.height = height;
    this.fontSize = Math.round(Math.min(30, Math.max(14, height / 19)));
    this.rowHeight = Math.ceil(this.fontSize * 1.3);
    const count = Math.max(1, Math.floor((height - 8) / this.rowHeight));
    while (this.rows.length < count) this.rows.push({ enterFreeAt: 0, scrollClearAt: 0, pinnedUntil: 0 });
    this.rows.length = count;
    this.layer.style.setProperty('--danmaku-size', `${this.fontSize}px`);
    if (!this.font) {
      // Read once: a style lookup, not a layout.
      const family = getComputedStyle(this.layer).fontFamily || 'sans-serif';
      this.font = family;
    }
    if (this.ctx) this.ctx.font = `700 ${this.fontSize}px ${this.font}`;
    if (this.queue.length) this.schedule();
  }

  private schedule(): void {
    if (this.frame !== null || this.retry !== null) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = null;
      this.place();
      if (this.queue.length) {
        this.retry = setTimeout(() => {
          this.retry = null;
          this.schedule();
        }, RETRY_MS);
      }
    });
  }

  private place(): void {
    const now = performance.now();
    const keep: Waiting[] = [];
    for (const item of this.queue) {
      if (this.width > 0 && this.flying.size < MAX_ON_SCREEN && this.launch(item, now)) continue;
      if (now - item.since < MAX_WAIT_MS) keep.push(item);
    }
    this.queue = keep;
  }

  /** Speed in px/s: wider players move faster, so an item is on screen for about as long on any player. */
  private get speed(): number {
    return Math.max(80, (this.width + 240) / 8);
  }

  private launch(item: Waiting, now: number): boolean {
    const textWidth = Math.ceil(this.ctx ? this.ctx.measureText(item.text).width : item.text.length * this.fontSize) + ITEM_PADDING_PX;
    const rows = this.rows;
    const scrollRows = Math.max(1, Math.floor(rows.length * SCROLL_AREA));
    const y = (r: number) => 4 + r * this.rowHeight;

    if (item.mode === 'scroll') {
      for (let r = 0; r < scrollRows; r++) {
        const row = rows[r];
        if (row.enterFreeAt > now || row.pinnedUntil > now) continue;
        const v = this.speed;
        const duration = ((this.width + textWidth) / v) * 1000;
        row.enterFreeAt = now + ((textWidth + this.fontSize * 2) / v) * 1000;
        row.scrollClearAt = now + duration;
        this.fly(item, [`translate3d(${this.width}px, ${y(r)}px, 0)`, `translate3d(${-textWidth}px, ${y(r)}px, 0)`], duration);
        return true;
      }
      return false;
    }

    // Pinned: a lane with nothing scrolling through it, from the top down or the bottom up.
    const order = item.mode === 'top' ? rows.map((_, i) => i).slice(0, scrollRows) : rows.map((_, i) => rows.length - 1 - i);
    for (const r of order) {
      const row = rows[r];
      if (row.pinnedUntil > now || row.scrollClearAt > now) continue;
      row.pinnedUntil = now + PINNED_MS;
      const x = Math.max(0, (this.width - textWidth) / 2);
      const at = `translate3d(${x}px, ${y(r)}px, 0)`;
      this.fly(item, [at, at], PINNED_MS, true);
      return true;
    }
    return false;
  }

  private fly(item: DanmakuItem, [from, to]: [string, string], duration: number, fade = false): void {
    this.drop(item.id);
    const el = document.createElement('span');
    el.className = item.self ? 'danmaku-item danmaku-self' : 'danmaku-item';
    el.textContent = item.text;
    el.style.color = paletteColor(item.color);
    el.style.transform = from;
    this.layer.append(el);
    let anim: Animation | null = null;
    if (typeof el.animate === 'function') {
      const frames: Keyframe[] = fade
        ? [
            { transform: from, opacity: 0 },
            { transform: from, opacity: 1, offset: 0.05 },
            { transform: to, opacity: 1, offset: 0.9 },
            { transform: to, opacity: 0 },
          ]
        : [{ transform: from }, { transform: to }];
      anim = el.animate(frames, { duration, easing: 'linear' });
      anim.onfinish = () => this.drop(item.id, el);
    } else {
      setTimeout(() => this.drop(item.id, el), duration);
    }
    this.flying.set(item.id, { el, anim });
  }

  private drop(id: string, only?: HTMLElement): void {
    const f = this.flying.get(id);
    if (!f || (only && f.el !== only)) return;
    this.flying.delete(id);
    if (f.anim) {
      f.anim.onfinish = null;
      f.anim.cancel();
    }
    f.el.remove();
  }
}
