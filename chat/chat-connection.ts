import type { ChatConfig } from '../core/config-schema';
import type { Logger } from '../core/logger';
import type { LiveroomEvents } from '../core/events';
import type { TypedEmitter } from '../core/typed-emitter';
import type { ChatAuthor, ChatErrorCode, ClientToServerEvents } from './chat-events';
import { batchRoomOf, batchShardOf, batchShardRoomOf, chatError, roomOf, singleRoomOf, waitSeconds, type ChatIo, type ChatSocket } from './chat-io';
import type { LikeAggregator } from './like-aggregator';
import type { MessageBatcher } from './message-batcher';
import { runModeration, type ModerationContext } from './moderation-actions';
import type { RoleResolver } from './moderator-tokens';
import { charLength, cleanText, firstIssue, likeTapsSchema, moderationSchema, nameSchema, sendSchema } from './payload-schemas';
import { TokenBucket } from './rate-limiter';
import type { ViewerCounter } from './viewer-counter';
import type { AddressLimits } from './address-limits';

/** What a connection's handlers use: the moderation context's parts, with `io` read when needed, and their own. */
export interface ConnectionDeps extends Omit<ModerationContext, 'io'> {
  config: ChatConfig;
  likes: LikeAggregator;
  viewers: ViewerCounter;
  batcher: MessageBatcher;
  addressLimits: AddressLimits;
  moderatorTokens: RoleResolver;
  tokens: WeakMap<ChatSocket, string>;
  /** The running Socket.IO server; undefined once the chat is stopping. */
  io(): ChatIo | undefined;
  /** chat:message, chat:refused and chat:moderation go here. */
  bus?: TypedEmitter<LiveroomEvents>;
}

type Reply = (res: unknown) => void;

const author = (socket: ChatSocket): ChatAuthor => ({ id: socket.data.userId, name: socket.data.name, role: socket.data.role });

/**
 * Registers a client event handler that cannot hurt the server: the ack (if
 * any) is split off the arguments, which stay `unknown` until a schema parses
 * them; a thrown error or rejected promise is logged and answered with
 * LR_CHAT_INTERNAL.
 */
function on<E extends keyof ClientToServerEvents>(socket: ChatSocket, log: Logger, event: E, fn: (args: unknown[], reply?: Reply) => unknown): void {
  const listener = (...args: unknown[]) => {
    const last = args[args.length - 1];
    const ack = typeof last === 'function' ? (args.pop() as Reply) : undefined;
    const reply: Reply | undefined =
      ack &&
      ((res) => {
        try {
          ack(res);
        } catch {
          /* ignore */
        }
      });
    const failed = (err: unknown) => {
      log.error({ err, event, channel: socket.data.channel }, 'chat handler failed');
      reply?.({ ok: false, error: chatError('LR_CHAT_INTERNAL', 'The chat had a problem; try again.') });
    };
    try {
      const result = fn(args, reply);
      if (result instanceof Promise) result.catch(failed);
    } catch (err) {
      failed(err);
    }
  };
  socket.on(event, listener as never);
}

/** One admitted connection: joins its channel's room, gets the welcome, and may send, like, rename and moderate. */
export function handleConnection(deps: ConnectionDeps, socket: ChatSocket): void {
  const { config, messages, moderation, likes, viewers, clock, log } = deps;
  const { channel, userId, address, overlay } = socket.data;
  const room = roomOf(channel);
  const singleRoom = singleRoomOf(channel);
  // Malformed packets and protocol errors surface here before socket.io closes the connection.
  socket.on('error', (err) => log.debug({ err: err.message, channel }, 'chat client error'));
  // A batch connection is in the whole batch room (its size sets the interval) and in its group (what a flush sends to).
  void socket.join(socket.data.batch ? [room, batchRoomOf(channel), batchShardRoomOf(channel, batchShardOf(socket.id, config.batchShards))] : [room, singleRoom]);
  const release = overlay ? () => {} : viewers.addChat(channel, userId);
  socket.on('disconnect', () => release());
  void welcome(deps, socket).catch((err: unknown) => {
    log.error({ err, channel }, 'chat welcome failed');
    socket.disconnect(true);
  });

  const messageBucket = new TokenBucket(config.messageBurst, config.messagesPerSecond, clock);
  const likeBucket = new TokenBucket(config.likeBurst, config.likesPerSecond, clock);

  // One send at a time per connection: acks keep the order of the sends, and slow mode sees the message before.
  let sending: Promise<unknown> = Promise.resolve();
  on(socket, log, 'send', (args, reply) => {
    if (!reply) return; // the protocol asks for an ack; without one there is nobody to answer
    const next = sending.then(() => send(args, reply));
    sending = next.catch(() => {});
    return next;
  });

  const send = async (args: unknown[], reply: Reply) => {
    const error = (code: ChatErrorCode, message: string, retryAfterMs?: number) => {
      deps.bus?.emit('chat:refused', { channel, code });
      reply({ ok: false, error: chatError(code, message, retryAfterMs) });
    };
    if (socket.data.overlay) return error('LR_CHAT_READ_ONLY', 'This is a read-only chat view.');
    const parsed = sendSchema.safeParse(args[0]);
    if (!parsed.success) return error('LR_CHAT_INVALID', `Message not sent: ${firstIssue(parsed.error)}.`);
    const { kind, mode, color } = parsed.data;
    const text = cleanText(parsed.data.text);
    if (!text) return error('LR_CHAT_EMPTY', 'Type something first.');
    const limit = kind === 'danmaku' ? config.maxDanmakuLength : config.maxMessageLength;
    const length = charLength(text);
    if (length > limit) {
      return error('LR_CHAT_TOO_LONG', `${kind === 'danmaku' ? 'Bullet comments' : 'Messages'} are limited to ${limit} characters; yours has ${length}.`);
    }
    // This connection's bucket, then its address's across all its connections and identities; a refusal takes from neither.
    // Moderators and the streamer (their token is the authority) are not held back by viewers who share their address.
    const ownWait = messageBucket.waitMs();
    if (ownWait > 0) return error('LR_CHAT_RATE_LIMITED', `You are sending messages too fast; wait ${waitSeconds(ownWait)} s.`, ownWait);
    const byAddress = socket.data.role === 'viewer';
    const addressWait = byAddress ? deps.addressLimits.messageWaitMs(address) : 0;
    if (addressWait > 0) {
      return error('LR_CHAT_RATE_LIMITED', `Too many messages from your address; wait ${waitSeconds(addressWait)} s.`, addressWait);
    }
    messageBucket.take();
    if (byAddress) deps.addressLimits.takeMessage(address);
    const now = clock();
    if (socket.data.role === 'viewer') {
      const until = await moderation.timeoutUntil(channel, userId, now);
      if (until !== undefined) return error('LR_CHAT_TIMED_OUT', `You are timed out for ${waitSeconds(until - now)} s more.`, until - now);
      const wait = await moderation.slowModeWaitMs(channel, userId, now);
      if (wait > 0) return error('LR_CHAT_SLOW_MODE', `Slow mode is on: wait ${waitSeconds(wait)} s before your next message.`, wait);
    }
    if ((await moderation.findBlockedWord(channel, text)) !== undefined) {
      return error('LR_CHAT_BLOCKED_WORD', 'Your message contains a word this channel does not allow; it was not sent.');
    }
    // Written (awaited) before the ack and the broadcast: nobody sees a message the database does not have.
    const message = await messages.insert({ channel, ts: now, text, author: author(socket), kind, mode, color });
    moderation.sent(channel, userId, message.ts);
    reply({ ok: true, message });
    deps.bus?.emit('chat:message', { channel, kind: message.kind, role: message.author.role, authorId: message.author.id });
    socket.to(singleRoom).emit('message', message);
    deps.batcher.add(channel, message);
  };

  on(socket, log, 'like', (args) => {
    const taps = likeTapsSchema.safeParse(args[0]);
    if (!taps.success || socket.data.overlay) return;
    if (likeBucket.take(taps.data)) likes.add(channel, taps.data);
  });

  on(socket, log, 'rename', (args, reply) => {
    const parsed = nameSchema.safeParse(args[0]);
    if (!parsed.success) return reply?.({ ok: false, error: chatError('LR_CHAT_INVALID', `Name not changed: ${firstIssue(parsed.error)}.`) });
    socket.data.name = parsed.data;
    void moderation.touchUser({ id: userId, name: parsed.data, address }, clock()).catch((err: unknown) => log.error({ err, channel }, 'chat user record failed'));
    reply?.({ ok: true, you: author(socket) });
  });

  on(socket, log, 'moderate', async (args, reply) => {
    const token = deps.tokens.get(socket);
    const role = token === undefined ? undefined : await deps.moderatorTokens.roleFor(channel, token);
    if (!role) {
      if (token !== undefined) socket.data.role = 'viewer'; // the token was revoked since this connection began
      return reply?.({ ok: false, error: chatError('LR_CHAT_FORBIDDEN', 'Only moderators and the streamer can do that.') });
    }
    const parsed = moderationSchema.safeParse(args[0]);
    if (!parsed.success) return reply?.({ ok: false, error: chatError('LR_CHAT_INVALID', `Not done: ${firstIssue(parsed.error)}.`) });
    const io = deps.io();
    if (!io) return reply?.({ ok: false, error: chatError('LR_CHAT_UNAVAILABLE', 'The chat is restarting; try again in a moment.') });
    const actor = author(socket);
    const ack = await runModeration({ ...deps, io }, channel, actor, parsed.data, (n) => socket.emit('notice', n));
    if (ack.ok) {
      log.info({ channel, action: parsed.data.action, actor: actor.name, role: actor.role }, 'chat moderation');
      const { action, ...details } = parsed.data;
      if (action !== 'list-blocked-words') deps.bus?.emit('chat:moderation', { channel, action, actor, details, at: clock() });
    }
    reply?.(ack);
  });
}

/** Records the viewer, then sends the welcome: history, settings and likes as the store has them now (after the join). */
async function welcome(deps: ConnectionDeps, socket: ChatSocket): Promise<void> {
  const { config, messages, moderation, likes, viewers, clock } = deps;
  const { channel, userId, address, overlay } = socket.data;
  await moderation.touchUser({ id: userId, name: socket.data.name, address }, clock());
  const [history, slowModeSeconds, likeTotal] = await Promise.all([
    messages.recent(channel, config.historyCount),
    moderation.slowModeSeconds(channel),
    likes.total(channel),
  ]);
  if (!socket.connected) return;
  socket.emit('welcome', {
    channel,
    you: author(socket),
    history,
    settings: { channel, slowModeSeconds },
    likes: likeTotal,
    viewers: viewers.count(channel),
    limits: { maxMessageLength: config.maxMessageLength, maxDanmakuLength: config.maxDanmakuLength },
    readOnly: overlay,
  });
}
