import { CHAT_ROLES, DANMAKU_COLORS, type ChatMessage, type ChatRole, type DanmakuColor, type SystemNotice } from '../chat/chat-events';

/**
 * How one chat message or notice looks, for the chat panel and the OBS overlay.
 *
 * Everything a viewer wrote (name, text) goes in through textContent only.
 * The only values taken from a message into attributes or styles are checked
 * against fixed lists first: the role (CHAT_ROLES), the kind, and the danmaku
 * colour (DANMAKU_COLORS). Name colours come from a hash of the author id into
 * a fixed set of classes, never from the message.
 */

const ROLE_BADGE: Record<ChatRole, string | null> = { viewer: null, moderator: 'MOD', streamer: 'HOST' };
const ROLE_TITLE: Record<ChatRole, string> = { viewer: '', moderator: 'Moderator', streamer: 'Streamer' };
const NAME_COLORS = 8;

export function roleOf(value: unknown): ChatRole {
  return (CHAT_ROLES as readonly unknown[]).includes(value) ? (value as ChatRole) : 'viewer';
}

/** The palette colour, or white for anything not in the palette. */
export function paletteColor(value: unknown): DanmakuColor {
  return (DANMAKU_COLORS as readonly unknown[]).includes(value) ? (value as DanmakuColor) : DANMAKU_COLORS[0];
}

export function nameColorClass(authorId: string): string {
  let hash = 0;
  for (let i = 0; i < authorId.length; i++) hash = (hash * 33 + authorId.charCodeAt(i)) >>> 0;
  return `name-c${hash % NAME_COLORS}`;
}

function span(className: string, text: string): HTMLSpanElement {
  const el = document.createElement('span');
  el.className = className;
  el.textContent = text;
  return el;
}

export function clockTime(ts: number): string {
  const d = new Date(ts);
  return Number.isFinite(d.getTime()) ? d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : '';
}

/** `<li class="chat-line">` with badge, author and text. */
export function renderMessage(m: ChatMessage, opts: { self?: boolean } = {}): HTMLLIElement {
  const role = roleOf(m.author?.role);
  const li = document.createElement('li');
  li.className = 'chat-line';
  li.dataset.role = role;
  li.dataset.kind = m.kind === 'danmaku' ? 'danmaku' : 'chat';
  if (opts.self) li.dataset.self = 'true';
  const time = clockTime(Number(m.ts));
  if (time) li.title = time;

  const badge = ROLE_BADGE[role];
  if (badge) {
    const b = span('chat-badge', badge);
    b.title = ROLE_TITLE[role];
    li.append(b);
  }
  if (m.kind === 'danmaku') {
    const dot = span('chat-danmaku-mark', '');
    dot.title = 'Bullet comment';
    dot.style.backgroundColor = paletteColor(m.color);
    li.append(dot);
  }
  li.append(span(`chat-author ${nameColorClass(String(m.author?.id ?? ''))}`, String(m.author?.name ?? '')));
  li.append(span('chat-text', String(m.text ?? '')));
  return li;
}

/** A system line: moderation, slow mode, rate limits, connection trouble. */
export function renderNotice(text: string, level: SystemNotice['level'] | 'error' = 'info'): HTMLLIElement {
  const li = document.createElement('li');
  li.className = 'chat-notice';
  li.dataset.level = level === 'warning' || level === 'error' ? level : 'info';
  li.textContent = text;
  return li;
}
