import type { ChatAuthor, ChatError, ChatMessage, HandshakeAuth, Welcome } from '../chat/chat-events';
import { ChatClient, type ChatClientHooks, type ChatConnectionState } from './chat-client';
import { ChatComposer } from './chat-composer';
import { paletteColor } from './chat-line';
import { ChatMessageList } from './chat-message-list';
import { DanmakuOverlay } from './danmaku-overlay';
import { DanmakuToggle } from './danmaku-toggle';
import { byId } from './element-lookup';
import { ChatIdentity } from './identity';
import { LikeButton } from './like-button';
import { ModerationMenu } from './moderation-menu';
import { ModerationPanel } from './moderation-panel';
import { ModeratorToken } from './moderator-token';
import { NamePicker } from './name-picker';
import { ViewerCount } from './viewer-count';

/** What tests read from `window.__liveroom.chat`. */
export interface ChatRoomStatus {
  readonly state: ChatConnectionState;
  readonly you: ChatAuthor | null;
}

const STATE_TEXT: Record<ChatConnectionState, string> = {
  connecting: 'Connecting to chat…',
  connected: '',
  reconnecting: 'Reconnecting to chat…',
  refused: 'The chat is not available.',
  stopped: '',
};

/**
 * The live room around the video: chat panel (messages, composer, name
 * picker), bullet comments over the video, likes, viewer count, and
 * moderation for moderators and the streamer. Wires the chat connection's
 * events to those parts; none of them knows the others.
 */
export class ChatRoom {
  private readonly identity = new ChatIdentity();
  private readonly token: ModeratorToken;
  private readonly client: ChatClient;
  private readonly list: ChatMessageList;
  private readonly composer: ChatComposer;
  private readonly namePicker: NamePicker;
  private readonly danmaku: DanmakuOverlay;
  private readonly danmakuToggle: DanmakuToggle;
  private readonly likes: LikeButton;
  private readonly viewers: ViewerCount;
  private readonly modMenu: ModerationMenu;
  private readonly modPanel: ModerationPanel;
  private readonly statusLine = byId('chat-status', HTMLElement);
  private readonly slowChip = byId('chat-slow', HTMLElement);
  private state: ChatConnectionState = 'stopped';
  private you: ChatAuthor | null = null;
  private announcedRole: ChatAuthor['role'] | null = null;

  constructor(private readonly channel: string) {
    this.token = new ModeratorToken(channel);
    this.client = new ChatClient(() => this.auth(), this.hooks());
    this.list = new ChatMessageList(byId('chat-list', HTMLOListElement), byId('chat-more', HTMLButtonElement), (m, anchor) =>
      this.modMenu.open(m, anchor, this.you?.id ?? ''),
    );
    this.composer = new ChatComposer(
      {
        form: byId('composer', HTMLFormElement),
        input: byId('composer-input', HTMLInputElement),
        send: byId('composer-send', HTMLButtonElement),
        kind: byId('composer-kind', HTMLButtonElement),
        danmakuOptions: byId('danmaku-options', HTMLElement),
        modeButtons: byId('danmaku-modes', HTMLElement),
        colors: byId('danmaku-colors', HTMLElement),
        count: byId('composer-count', HTMLElement),
        error: byId('composer-error', HTMLElement),
      },
      (payload) => this.client.send(payload),
      (m) => this.showMessage(m, true),
    );
    this.namePicker = new NamePicker(
      {
        form: byId('name-picker', HTMLFormElement),
        input: byId('name-input', HTMLInputElement),
        cancel: byId('name-cancel', HTMLButtonElement),
        error: byId('name-error', HTMLElement),
        chip: byId('name-button', HTMLButtonElement),
        composer: byId('composer', HTMLFormElement),
      },
      this.identity,
      async (name) => (this.client.connected ? this.client.rename(name) : null),
    );
    this.danmaku = new DanmakuOverlay(byId('danmaku-layer', HTMLElement));
    this.danmakuToggle = new DanmakuToggle(byId('danmaku-toggle', HTMLButtonElement), this.danmaku);
    this.likes = new LikeButton(byId('like-button', HTMLButtonElement), byId('like-count', HTMLElement), byId('heart-layer', HTMLElement), (taps) =>
      this.client.like(taps),
    );
    this.viewers = new ViewerCount(byId('viewer-count', HTMLElement), byId('viewer-count-value', HTMLElement));
    const moderate = this.client.moderate.bind(this.client);
    this.modMenu = new ModerationMenu(
      {
        menu: byId('mod-menu', HTMLElement),
        target: byId('mod-menu-target', HTMLElement),
        timeoutSeconds: byId('mod-timeout-seconds', HTMLSelectElement),
        userActions: byId('mod-menu-user', HTMLElement),
      },
      moderate,
      (text) => this.list.addNotice(text, 'error'),
    );
    this.modPanel = new ModerationPanel(
      {
        toggle: byId('mod-toggle', HTMLButtonElement),
        panel: byId('mod-panel', HTMLElement),
        slowMode: byId('slow-mode-select', HTMLSelectElement),
        wordForm: byId('block-word-form', HTMLFormElement),
        wordInput: byId('block-word-input', HTMLInputElement),
        words: byId('blocked-words', HTMLElement),
        error: byId('mod-panel-error', HTMLElement),
      },
      moderate,
    );
  }

  get status(): ChatRoomStatus {
    return { state: this.state, you: this.you };
  }

  start(): void {
    this.token.take();
    this.list.start();
    this.composer.start();
    this.namePicker.start();
    this.danmaku.start();
    this.danmakuToggle.start();
    this.likes.start();
    this.modMenu.start();
    this.modPanel.start();
    this.client.start();
  }

  stop(): void {
    this.client.stop();
    this.modPanel.stop();
    this.modMenu.stop();
    this.likes.stop();
    this.danmakuToggle.stop();
    this.danmaku.stop();
    this.namePicker.stop();
    this.composer.stop();
    this.list.stop();
  }

  private auth(): HandshakeAuth {
    const token = this.token.get();
    // batch: the room's messages arrive as one `messages` packet per ~100 ms in a busy room, not one packet each.
    const auth: HandshakeAuth = { channel: this.channel, identity: this.identity.identity, name: this.identity.name, batch: true };
    if (token) auth.token = token;
    return auth;
  }

  private showMessage(m: ChatMessage, self = false): void {
    if (!this.list.addMessage(m)) return;
    if (m.kind === 'danmaku') this.danmaku.push({ id: m.id, text: m.text, mode: m.mode, color: paletteColor(m.color), self });
  }

  private onWelcome(w: Welcome): void {
    const you = (this.you = w.you);
    const privileged = you.role !== 'viewer';
    this.list.reset(w.history, you.id);
    this.list.setModerating(privileged);
    this.composer.setLimits(w.limits);
    this.applySlowMode(w.settings.slowModeSeconds);
    this.namePicker.showName(you.name);
    // A name picked while the connection was being made: the server still has the old one.
    const chosen = this.identity.chosenName;
    if (chosen !== null && chosen !== you.name) {
      void this.client.rename(chosen).then((ack) => {
        if (ack.ok) {
          this.you = ack.you;
          this.namePicker.showName(ack.you.name);
        }
      });
    }
    this.viewers.set(w.viewers);
    this.likes.setTotal(w.likes);
    this.modPanel.setAvailable(privileged);
    if (privileged && this.announcedRole !== you.role) {
      this.list.addNotice(
        you.role === 'streamer'
          ? 'You are the streamer here: use ⋯ on a message to moderate, and the shield for slow mode and blocked words.'
          : 'You are a moderator here: use ⋯ on a message to moderate, and the shield for slow mode and blocked words.',
      );
    }
    this.announcedRole = you.role;
  }

  private applySlowMode(seconds: number): void {
    this.composer.setSlowMode(seconds, this.you !== null && this.you.role !== 'viewer');
    this.modPanel.setSlowMode(seconds);
    this.slowChip.hidden = seconds <= 0;
    this.slowChip.textContent = `Slow mode · ${seconds < 60 ? `${seconds} s` : `${Math.round(seconds / 60)} min`}`;
  }

  private onState(state: ChatConnectionState, error?: ChatError): void {
    this.state = state;
    const connected = state === 'connected';
    this.statusLine.textContent = error?.message ?? STATE_TEXT[state];
    this.statusLine.hidden = connected || this.statusLine.textContent === '';
    this.statusLine.dataset.state = state;
    this.composer.setEnabled(connected);
    this.likes.setEnabled(connected);
    if (!connected) this.modMenu.close();
  }

  private hooks(): ChatClientHooks {
    const mine = (channel: unknown) => channel === this.channel;
    return {
      onState: (state, error) => this.onState(state, error),
      onBadToken: () => {
        this.token.forget();
        this.list.addNotice('Your moderator link is not valid any more (revoked?); you are in the chat as a viewer.', 'warning');
      },
      welcome: (w) => mine(w.channel) && this.onWelcome(w),
      message: (m) => mine(m.channel) && this.showMessage(m),
      messages: (batch) => {
        if (!Array.isArray(batch)) return;
        for (const m of batch) if (mine(m?.channel)) this.showMessage(m, m.author?.id === this.you?.id);
      },
      'message:deleted': (d) => {
        if (!mine(d.channel)) return;
        this.list.remove(d.id);
        this.danmaku.remove(d.id);
      },
      notice: (n) => mine(n.channel) && this.list.addNotice(n.text, n.level),
      settings: (s) => mine(s.channel) && this.applySlowMode(s.slowModeSeconds),
      likes: (l) => mine(l.channel) && this.likes.onLikes(l),
      viewers: (v) => mine(v.channel) && this.viewers.set(v.count),
    };
  }
}
