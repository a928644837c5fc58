import type { ModerationAck, ModerationRequest } from '../chat/chat-events';
import { ListenerBag } from './listener-bag';

export interface ModerationPanelElements {
  /** The shield button in the chat header that opens the panel. */
  toggle: HTMLButtonElement;
  panel: HTMLElement;
  slowMode: HTMLSelectElement;
  wordForm: HTMLFormElement;
  wordInput: HTMLInputElement;
  words: HTMLElement;
  error: HTMLElement;
}

const formatSeconds = (s: number) => (s === 0 ? 'Off' : s < 60 ? `${s} s` : s % 60 === 0 && s < 3600 ? `${s / 60} min` : `${s} s`);

/**
 * Room controls for moderators and the streamer: slow mode and the channel's
 * blocked words. Shown only when the connection proved a moderator role.
 */
export class ModerationPanel {
  private readonly listeners = new ListenerBag();
  private available = false;
  private slowModeSeconds = 0;

  constructor(
    private readonly els: ModerationPanelElements,
    private readonly moderate: (req: ModerationRequest) => Promise<ModerationAck>,
  ) {}

  start(): void {
    const { toggle, slowMode, wordForm, wordInput, words } = this.els;
    this.listeners.on(toggle, 'click', () => this.setOpen(this.els.panel.hidden));
    this.listeners.on(slowMode, 'change', () => {
      const seconds = Number(slowMode.value);
      if (Number.isInteger(seconds) && seconds >= 0) void this.run({ action: 'slow-mode', seconds });
    });
    this.listeners.on(wordForm, 'submit', (ev) => {
      ev.preventDefault();
      const word = wordInput.value.trim();
      if (!word) return;
      void this.run({ action: 'block-word', word }).then((ok) => {
        if (ok) wordInput.value = '';
      });
    });
    this.listeners.on(words, 'click', (ev) => {
      const button = ev.target instanceof Element ? ev.target.closest('button') : null;
      const word = button?.closest('li')?.querySelector('.word')?.textContent;
      if (word) void this.run({ action: 'unblock-word', word });
    });
    this.render();
  }

  stop(): void {
    this.listeners.clear();
  }

  /** Moderators and the streamer see the shield; others do not. */
  setAvailable(available: boolean): void {
    this.available = available;
    if (!available) this.setOpen(false);
    this.render();
  }

  setSlowMode(seconds: number): void {
    this.slowModeSeconds = seconds;
    this.render();
  }

  private setOpen(open: boolean): void {
    this.els.panel.hidden = !open || !this.available;
    this.els.toggle.setAttribute('aria-expanded', String(!this.els.panel.hidden));
    if (!this.els.panel.hidden) void this.run({ action: 'list-blocked-words' });
  }

  /** True when the server agreed. */
  private async run(req: ModerationRequest): Promise<boolean> {
    const ack = await this.moderate(req);
    this.els.error.textContent = ack.ok ? '' : ack.error.message;
    this.els.error.hidden = ack.ok;
    if (ack.ok && ack.blockedWords) this.renderWords(ack.blockedWords);
    if (!ack.ok && req.action === 'slow-mode') this.render(); // put the select back
    return ack.ok;
  }

  private renderWords(words: string[]): void {
    this.els.words.replaceChildren(
      ...words.map((w) => {
        const li = document.createElement('li');
        const span = document.createElement('span');
        span.className = 'word';
        span.textContent = w;
        const remove = document.createElement('button');
        remove.type = 'button';
        remove.className = 'word-remove';
        remove.textContent = '×';
        remove.setAttribute('aria-label', `Unblock “${w}”`);
        li.append(span, remove);
        return li;
      }),
    );
    if (words.length === 0) {
      const li = document.createElement('li');
      li.className = 'word-none';
      li.textContent = 'No blocked words.';
      this.els.words.append(li);
    }
  }

  private render(): void {
    const { toggle, slowMode } = this.els;
    toggle.hidden = !this.available;
    const value = String(this.slowModeSeconds);
    if (![...slowMode.options].some((o) => o.value === value)) slowMode.append(new Option(formatSeconds(this.slowModeSeconds), value));
    slowMode.value = value;
  }
}
