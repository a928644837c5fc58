import { io, type Socket } from 'socket.io-client';
import {
  CHAT_PATH,
  type ChatError,
  type ChatErrorCode,
  type ClientToServerEvents,
  type HandshakeAuth,
  type ModerationAck,
  type ModerationRequest,
  type RenameAck,
  type SendAck,
  type SendPayload,
  type ServerToClientEvents,
} from '../chat/chat-events';

export type ChatSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/**
 * connecting: first attempt; connected: welcome received; reconnecting: lost,
 * trying again; refused: the server said no for good (banned, no channel);
 * stopped: stop() was called.
 */
export type ChatConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'refused' | 'stopped';

export type ServerEventHandlers = { [E in keyof ServerToClientEvents]: ServerToClientEvents[E] };

export interface ChatClientHooks extends ServerEventHandlers {
  onState(state: ChatConnectionState, error?: ChatError): void;
  /** The handshake token was refused: forget it; the client reconnects without it. */
  onBadToken(error: ChatError): void;
}

const ACK_TIMEOUT_MS = 10_000;
/** Refusals that waiting will not fix. */
const FINAL: readonly ChatErrorCode[] = ['LR_CHAT_BANNED', 'LR_CHAT_NO_CHANNEL', 'LR_CHAT_BAD_HANDSHAKE'];
const RETRY_MIN_MS = 2000;
const RETRY_MAX_MS = 30_000;

const unavailable = (message: string): { ok: false; error: ChatError } => ({ ok: false, error: { code: 'LR_CHAT_UNAVAILABLE', message } });

function chatErrorOf(value: unknown): ChatError | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { code, message } = value as Record<string, unknown>;
  return typeof code === 'string' && typeof message === 'string' ? (value as ChatError) : undefined;
}

/**
 * The browser's Socket.IO connection to a channel's chat, with the typed
 * events of chat/chat-events.ts. Requests (send, rename, moderate) resolve with
 * the server's ack, or with an LR_CHAT_UNAVAILABLE error when offline or
 * unanswered; they are never queued for later (a message typed while offline
 * should not pop up minutes afterwards).
 *
 * Reconnection: transport losses are retried by socket.io-client itself; a
 * refusal by the server's middleware or a server-side disconnect (restart, ban)
 * is retried here with backoff, unless the refusal is final.
 */
export class ChatClient {
  private socket: ChatSocket | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private retryMs = RETRY_MIN_MS;
  private state: ChatConnectionState = 'stopped';

  constructor(
    private readonly auth: () => HandshakeAuth,
    private readonly hooks: ChatClientHooks,
    private readonly origin: string = window.location.origin,
  ) {}

  get connected(): boolean {
    return this.state === 'connected';
  }

  start(): void {
    if (this.socket) return;
    const socket: ChatSocket = io(this.origin, {
      path: CHAT_PATH,
      // Asked again on every (re)connection: the name or token may have changed.
      auth: (cb) => cb(this.auth()),
      reconnectionDelay: 1000,
      reconnectionDelayMax: 10_000,
      timeout: 10_000,
    });
    this.socket = socket;
    this.setState('connecting');

    socket.on('welcome', (w) => {
      this.retryMs = RETRY_MIN_MS;
      this.setState('connected');
      this.hooks.welcome(w);
    });
    socket.on('message', (m) => this.hooks.message(m));
    socket.on('messages', (batch) => this.hooks.messages(batch));
    socket.on('message:deleted', (d) => this.hooks['message:deleted'](d));
    socket.on('notice', (n) => this.hooks.notice(n));
    socket.on('settings', (s) => this.hooks.settings(s));
    socket.on('likes', (l) => this.hooks.likes(l));
    socket.on('viewers', (v) => this.hooks.viewers(v));

    socket.on('connect_error', (err: Error & { data?: unknown }) => {
      const refusal = chatErrorOf(err.data);
      if (!refusal) {
        // Network trouble: socket.io-client keeps trying by itself (socket.active stays true).
        if (socket.active) this.setState('reconnecting');
        else this.retryLater({ code: 'LR_CHAT_UNAVAILABLE', message: 'Cannot reach the chat. Retrying…' });
        return;
      }
      if (refusal.code === 'LR_CHAT_BAD_TOKEN') {
        this.hooks.onBadToken(refusal);
        socket.connect();
        return;
      }
      if (FINAL.includes(refusal.code)) {
        this.setState('refused', refusal);
        return;
      }
      this.retryLater(refusal);
    });
    socket.on('disconnect', (reason) => {
      if (this.socket !== socket) return;
      if (reason === 'io client disconnect') return;
      if (reason === 'io server disconnect') {
        // The server closed us (restart, ban): try again later; a ban comes back as a final refusal.
        this.retryLater({ code: 'LR_CHAT_UNAVAILABLE', message: 'The chat closed the connection. Reconnecting…' });
        return;
      }
      this.setState('reconnecting');
    });
  }

  stop(): void {
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.removeAllListeners();
      socket.disconnect();
    }
    this.setState('stopped');
  }

  send(payload: SendPayload): Promise<SendAck> {
    return this.request<SendAck>((s, done) => s.timeout(ACK_TIMEOUT_MS).emit('send', payload, done));
  }

  rename(name: string): Promise<RenameAck> {
    return this.request<RenameAck>((s, done) => s.timeout(ACK_TIMEOUT_MS).emit('rename', name, done));
  }

  moderate(req: ModerationRequest): Promise<ModerationAck> {
    return this.request<ModerationAck>((s, done) => s.timeout(ACK_TIMEOUT_MS).emit('moderate', req, done));
  }

  /** Taps since the last call (the caller batches them); dropped while offline. */
  like(taps: number): void {
    if (this.connected && this.socket) this.socket.emit('like', Math.max(1, Math.min(20, Math.round(taps))));
  }

  private request<T>(emit: (socket: ChatSocket, done: (err: Error | null, res: T) => void) => void): Promise<T | ReturnType<typeof unavailable>> {
    const socket = this.socket;
    if (!socket || !this.connected) return Promise.resolve(unavailable('Not connected to the chat right now; try again in a moment.'));
    return new Promise((resolve) => {
      emit(socket, (err, res) => {
        if (err || typeof res !== 'object' || res === null) resolve(unavailable('The chat did not answer; check your connection and try again.'));
        else resolve(res);
      });
    });
  }

  private retryLater(error: ChatError): void {
    const socket = this.socket;
    if (!socket || this.retryTimer !== null) return;
    this.setState('reconnecting', error);
    const wait = this.retryMs * (0.75 + Math.random() * 0.5);
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.socket === socket && !socket.connected) socket.connect();
    }, wait);
  }

  private setState(state: ChatConnectionState, error?: ChatError): void {
    this.state = state;
    this.hooks.onState(state, error);
  }
}
