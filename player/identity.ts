import { IDENTITY_PATTERN, NAME_MAX_LENGTH } from '../chat/chat-events';
import { BrowserStore } from './browser-store';

const IDENTITY_KEY = 'liveroom.chat.identity';
const NAME_KEY = 'liveroom.chat.name';

/** Same rules as the server's name schema (chat/payload-schemas.ts), for an early, friendly answer. */
const CONTROL = /\p{Cc}/u;
const INVISIBLE = /[\u200B\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF\u2028\u2029\u0085]/u;

export type NameCheck = { ok: true; name: string } | { ok: false; error: string };

export function checkName(raw: string): NameCheck {
  const name = raw.normalize('NFC').trim();
  const length = [...name].length;
  if (length === 0) return { ok: false, error: 'Type a name first.' };
  if (length > NAME_MAX_LENGTH) return { ok: false, error: `A name has at most ${NAME_MAX_LENGTH} characters (this one has ${length}).` };
  if (CONTROL.test(name) || INVISIBLE.test(name)) return { ok: false, error: 'A name may not contain control or invisible characters.' };
  return { ok: true, name };
}

/** 24 random bytes as base64url: 32 characters, within IDENTITY_PATTERN. */
function newIdentity(): string {
  const bytes = new Uint8Array(24);
  crypto.getRandomValues(bytes);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * Who this browser is in the chat: a random identity kept in localStorage (a
 * secret the server hashes into the public author id, so moderation sticks
 * across visits) and the display name the viewer chose, if any.
 */
export class ChatIdentity {
  readonly identity: string;
  /** A name to connect with before the viewer has chosen one. */
  readonly guestName: string;

  constructor(private readonly store: BrowserStore = BrowserStore.local()) {
    const stored = store.get(IDENTITY_KEY);
    if (stored !== null && IDENTITY_PATTERN.test(stored)) {
      this.identity = stored;
    } else {
      this.identity = newIdentity();
      store.set(IDENTITY_KEY, this.identity);
    }
    // Stable per browser, so a guest keeps the same number until they pick a name.
    let hash = 0;
    for (const ch of this.identity) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
    this.guestName = `Guest ${String(hash % 10_000).padStart(4, '0')}`;
  }

  /** The name the viewer picked, or null on a first visit. */
  get chosenName(): string | null {
    const stored = this.store.get(NAME_KEY);
    if (stored === null) return null;
    const check = checkName(stored);
    return check.ok ? check.name : null;
  }

  /** What to connect with. */
  get name(): string {
    return this.chosenName ?? this.guestName;
  }

  setName(name: string): void {
    this.store.set(NAME_KEY, name);
  }
}
