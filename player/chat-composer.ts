import { DANMAKU_COLORS, DANMAKU_MODES, type ChatMessage, type DanmakuColor, type DanmakuMode, type SendAck, type SendPayload, type Welcome } from '../chat/chat-events';
import { BrowserStore } from './browser-store';
import { ListenerBag } from './listener-bag';

export interface ChatComposerElements {
  form: HTMLFormElement;
  input: HTMLInputElement;
  send: HTMLButtonElement;
  /** Toggles between a chat message and a bullet comment. */
  kind: HTMLButtonElement;
  danmakuOptions: HTMLElement;
  /** Buttons with data-mode="scroll|top|bottom". */
  modeButtons: HTMLElement;
  /** Filled with one swatch per palette colour. */
  colors: HTMLElement;
  count: HTMLElement;
  error: HTMLElement;
}

const COLOR_NAMES = ['White', 'Red', 'Orange', 'Yellow', 'Green', 'Blue', 'Magenta'];
const PREFS_KEY = 'liveroom.chat.danmaku-style';

const charLength = (s: string) => [...s].length;

/**
 * The message box: text, Enter to send, the bullet-comment switch with its
 * mode and colour, a character counter near the limit, the server's refusals
 * (rate limit, slow mode, timeout, blocked word) shown under the box, and the
 * slow-mode / retry-after countdown on the send button.
 */
export class ChatComposer {
  private readonly listeners = new ListenerBag();
  private readonly prefs = BrowserStore.local();
  private kind: 'chat' | 'danmaku' = 'chat';
  private mode: DanmakuMode = 'scroll';
  private color: DanmakuColor = DANMAKU_COLORS[0];
  private limits: Welcome['limits'] = { maxMessageLength: 300, maxDanmakuLength: 60 };
  private slowModeSeconds = 0;
  private exempt = false;
  private enabled = false;
  private sending = false;
  private cooldownUntil = 0;
  private cooldownTimer: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly els: ChatComposerElements,
    private readonly sendPayload: (payload: SendPayload) => Promise<SendAck>,
    private readonly onSent: (message: ChatMessage) => void,
  ) {
    this.loadPrefs();
  }

  start(): void {
    const { form, input, kind, modeButtons, colors } = this.els;
    colors.replaceChildren(
      ...DANMAKU_COLORS.map((c, i) => {
        const b = document.createElement('button');
        b.type = 'button';
        b.className = 'swatch';
        b.style.backgroundColor = c; // a palette constant, not message data
        b.dataset.color = c;
        b.title = COLOR_NAMES[i] ?? c;
        b.setAttribute('aria-label', `Colour: ${COLOR_NAMES[i] ?? c}`);
        return b;
      }),
    );
    this.listeners.on(form, 'submit', (ev) => {
      ev.preventDefault();
      void this.submit();
    });
    this.listeners.on(input, 'input', () => this.render());
    this.listeners.on(kind, 'click', () => {
      this.kind = this.kind === 'chat' ? 'danmaku' : 'chat';
      this.render();
      input.focus();
    });
    this.listeners.on(modeButtons, 'click', (ev) => {
      const mode = ev.target instanceof HTMLElement ? ev.target.closest<HTMLElement>('[data-mode]')?.dataset.mode : undefined;
      if (mode && (DANMAKU_MODES as readonly string[]).includes(mode)) {
        this.mode = mode as DanmakuMode;
        this.savePrefs();
        this.render();
      }
    });
    this.listeners.on(colors, 'click', (ev) => {
      const color = ev.target instanceof HTMLElement ? ev.target.closest<HTMLElement>('[data-color]')?.dataset.color : undefined;
      if (color && (DANMAKU_COLORS as readonly string[]).includes(color)) {
        this.color = color as DanmakuColor;
        this.savePrefs();
        this.render();
      }
    });
    this.render();
  }

  stop(): void {
    this.listeners.clear();
    this.stopCooldown();
  }

  setLimits(limits: Welcome['limits']): void {
    this.limits = limits;
    this.render();
  }

  /** Slow mode applies to viewers; moderators and the streamer are exempt. */
  setSlowMode(seconds: number, exempt: boolean): void {
    this.slowModeSeconds = seconds;
    this.exempt = exempt;
  }

  setEnabled(enabled: boolean): void {
    this.enabled = enabled;
    this.render();
  }

  showError(text: string): void {
    this.els.error.textContent = text;
    this.els.error.hidden = text === '';
  }

  private get limit(): number {
    return this.kind === 'danmaku' ? this.limits.maxDanmakuLength : this.limits.maxMessageLength;
  }

  private async submit(): Promise<void> {
    const { input } = this.els;
    const text = input.value.trim();
    if (!this.enabled || this.sending || Date.now() < this.cooldownUntil) return;
    if (!text) return;
    const length = charLength(text);
    if (length > this.limit) {
      this.showError(`${this.kind === 'danmaku' ? 'Bullet comments' : 'Messages'} are limited to ${this.limit} characters; yours has ${length}.`);
      return;
    }
    const payload: SendPayload = this.kind === 'danmaku' ? { text, kind: 'danmaku', mode: this.mode, color: this.color } : { text, kind: 'chat' };
    this.sending = true;
    this.render();
    try {
      const ack = await this.sendPayload(payload);
      if (ack.ok) {
        this.showError('');
        if (input.value.trim() === text) input.value = '';
        this.onSent(ack.message);
        if (this.slowModeSeconds > 0 && !this.exempt) this.cooldown(this.slowModeSeconds * 1000);
      } else {
        this.showError(ack.error.message);
        if (ack.error.retryAfterMs !== undefined && ack.error.retryAfterMs > 0) this.cooldown(Math.min(ack.error.retryAfterMs, 3_600_000));
      }
    } finally {
      this.sending = false;
      this.render();
    }
  }

  private cooldown(ms: number): void {
    this.cooldownUntil = Date.now() + ms;
    this.stopCooldown();
    this.cooldownTimer = setInterval(() => {
      if (Date.now() >= this.cooldownUntil) this.stopCooldown();
      this.render();
    }, 250);
    this.render();
  }

  private stopCooldown(): void {
    if (this.cooldownTimer !== null) clearInterval(this.cooldownTimer);
    this.cooldownTimer = null;
  }

  private render(): void {
    const { input, send, kind, danmakuOptions, modeButtons, colors, count, form } = this.els;
    const danmaku = this.kind === 'danmaku';
    form.dataset.kind = this.kind;
    kind.setAttribute('aria-pressed', String(danmaku));
    kind.title = danmaku ? 'Sending bullet comments over the video (click for chat)' : 'Send as a bullet comment over the video';
    danmakuOptions.hidden = !danmaku;
    input.placeholder = !this.enabled ? 'Connecting to chat…' : danmaku ? 'Bullet comment…' : 'Say something…';
    // maxlength counts UTF-16 units; the real limit (characters) is checked on submit.
    input.maxLength = this.limit * 2;
    for (const b of modeButtons.querySelectorAll<HTMLElement>('[data-mode]')) b.setAttribute('aria-pressed', String(b.dataset.mode === this.mode));
    for (const b of colors.querySelectorAll<HTMLElement>('[data-color]')) b.setAttribute('aria-pressed', String(b.dataset.color === this.color));
    input.style.color = danmaku ? this.color : '';

    const length = charLength(input.value.trim());
    count.textContent = length > this.limit * 0.8 ? `${length} / ${this.limit}` : '';
    count.dataset.over = String(length > this.limit);

    const wait = Math.ceil((this.cooldownUntil - Date.now()) / 1000);
    input.disabled = !this.enabled;
    send.disabled = !this.enabled || this.sending || wait > 0;
    send.textContent = wait > 0 ? `${wait} s` : 'Send';
  }

  private loadPrefs(): void {
    try {
      const raw: unknown = JSON.parse(this.prefs.get(PREFS_KEY) ?? '{}');
      if (typeof raw !== 'object' || raw === null) return;
      const { mode, color } = raw as Record<string, unknown>;
      if ((DANMAKU_MODES as readonly unknown[]).includes(mode)) this.mode = mode as DanmakuMode;
      if ((DANMAKU_COLORS as readonly unknown[]).includes(color)) this.color = color as DanmakuColor;
    } catch {
      /* defaults */
    }
  }

  private savePrefs(): void {
    this.prefs.set(PREFS_KEY, JSON.stringify({ mode: this.mode, color: this.color }));
  }
}
