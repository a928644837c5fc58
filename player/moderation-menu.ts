import type { ChatMessage, ModerationAck, ModerationRequest } from '../chat/chat-events';
import { roleOf } from './chat-line';
import { ListenerBag } from './listener-bag';

export interface ModerationMenuElements {
  menu: HTMLElement;
  /** "Alice: first words of the message". */
  target: HTMLElement;
  /** Buttons with data-action="delete|timeout|ban". */
  timeoutSeconds: HTMLSelectElement;
  /** What only applies to viewers (timeout, ban): hidden for your own and moderators' messages. */
  userActions: HTMLElement;
}

/**
 * The per-message menu for moderators and the streamer: delete the message,
 * time its author out (length to choose), ban them (second click confirms).
 * Results come back as notices from the server; refusals are reported here.
 */
export class ModerationMenu {
  private readonly listeners = new ListenerBag();
  private message: ChatMessage | null = null;
  private anchor: HTMLElement | null = null;
  private confirmBan = false;

  constructor(
    private readonly els: ModerationMenuElements,
    private readonly moderate: (req: ModerationRequest) => Promise<ModerationAck>,
    private readonly report: (text: string) => void,
  ) {}

  start(): void {
    this.listeners.on(this.els.menu, 'click', (ev) => {
      const action = ev.target instanceof Element ? ev.target.closest<HTMLElement>('[data-action]')?.dataset.action : undefined;
      if (action) void this.act(action);
    });
    this.listeners.on(document, 'pointerdown', (ev) => {
      if (this.isOpen && ev.target instanceof Node && !this.els.menu.contains(ev.target) && !this.anchor?.contains(ev.target)) this.close();
    });
    this.listeners.on(document, 'keydown', (ev) => {
      if (ev.key === 'Escape' && this.isOpen) {
        this.anchor?.focus();
        this.close();
      }
    });
    this.listeners.on(window, 'resize', () => this.close());
  }

  stop(): void {
    this.listeners.clear();
    this.close();
  }

  get isOpen(): boolean {
    return !this.els.menu.hidden;
  }

  open(message: ChatMessage, anchor: HTMLElement, youId: string): void {
    if (this.isOpen && this.message?.id === message.id) {
      this.close();
      return;
    }
    this.message = message;
    this.anchor = anchor;
    this.confirmBan = false;
    const { menu, target, userActions } = this.els;
    const excerpt = [...message.text].slice(0, 60).join('');
    target.textContent = `${message.author.name}: ${excerpt}${excerpt.length < message.text.length ? '…' : ''}`;
    userActions.hidden = message.author.id === youId || roleOf(message.author.role) !== 'viewer';
    this.banButton().textContent = `Ban ${message.author.name}`;
    menu.hidden = false;
    // Place it under (or above) the button, inside the window: reads layout once, on a click.
    const a = anchor.getBoundingClientRect();
    const w = menu.offsetWidth;
    const h = menu.offsetHeight;
    const left = Math.max(8, Math.min(a.right - w, window.innerWidth - w - 8));
    const top = a.bottom + 4 + h <= window.innerHeight - 8 ? a.bottom + 4 : Math.max(8, a.top - h - 4);
    menu.style.transform = `translate(${Math.round(left)}px, ${Math.round(top)}px)`;
    menu.querySelector<HTMLElement>('[data-action]')?.focus();
  }

  close(): void {
    this.els.menu.hidden = true;
    this.message = null;
    this.anchor = null;
    this.confirmBan = false;
  }

  private banButton(): HTMLElement {
    return this.els.menu.querySelector<HTMLElement>('[data-action="ban"]') ?? this.els.menu;
  }

  private async act(action: string): Promise<void> {
    const m = this.message;
    if (!m) return;
    let req: ModerationRequest;
    if (action === 'delete') req = { action: 'delete', messageId: m.id };
    else if (action === 'timeout') req = { action: 'timeout', userId: m.author.id, seconds: Number(this.els.timeoutSeconds.value) || 60 };
    else if (action === 'ban') {
      if (!this.confirmBan) {
        this.confirmBan = true;
        this.banButton().textContent = `Click again to ban ${m.author.name}`;
        return;
      }
      req = { action: 'ban', userId: m.author.id };
    } else return;
    this.close();
    const ack = await this.moderate(req);
    if (!ack.ok) this.report(ack.error.message);
  }
}
