import { BrowserStore } from './browser-store';

const keyFor = (channel: string) => `liveroom.chat.token.${channel}`;

/**
 * The moderator (or streamer) token of this tab. It arrives once in the URL
 * fragment (`/watch/live#token=lrm_…`: fragments are not sent to servers or
 * written to their logs), is kept in sessionStorage for reloads of this tab,
 * and is removed from the address bar so it does not end up in a screenshot,
 * a bookmark or a shared link.
 */
export class ModeratorToken {
  constructor(
    private readonly channel: string,
    private readonly store: BrowserStore = BrowserStore.session(),
  ) {}

  /** Moves a `#token=` from the address bar into session storage; returns the current token. */
  take(location: Location = window.location, history: History = window.history): string | undefined {
    const hash = location.hash.replace(/^#/, '');
    if (hash) {
      const params = new URLSearchParams(hash);
      const token = params.get('token');
      if (token !== null) {
        params.delete('token');
        const rest = params.toString();
        history.replaceState(history.state, '', `${location.pathname}${location.search}${rest ? `#${rest}` : ''}`);
        if (token.trim()) this.store.set(keyFor(this.channel), token.trim());
        else this.store.remove(keyFor(this.channel)); // `#token=` signs out
      }
    }
    return this.get();
  }

  get(): string | undefined {
    return this.store.get(keyFor(this.channel)) ?? undefined;
  }

  /** After the server refused it (revoked, wrong channel). */
  forget(): void {
    this.store.remove(keyFor(this.channel));
  }
}
