import type { Clock } from '../core/clock';
import type { Logger } from '../core/logger';
import type { ChatError, ModerationAck, ModerationRequest, NoticeCode, SystemNotice } from './chat-events';
import { foldForMatching } from './blocked-words';
import { isSharedAddress } from '../core/client-address';
import { roomOf, type ChatIo, type MakeNotice, type NoticeOptions } from './chat-io';
import type { MessageStore } from './message-store';
import type { Actor, KnownUser, Moderation } from './moderation';

/** What a moderation request works with; a connection's handlers have the same parts (ConnectionDeps). */
export interface ModerationContext {
  io: ChatIo;
  moderation: Moderation;
  messages: MessageStore;
  clock: Clock;
  log: Logger;
  makeNotice: MakeNotice;
  /** A message was deleted: if it still waits for a batch (on any node), it is not sent. */
  withdraw(channel: string, id: string): void;
}

/** "45 s", "2 min", "1 h 30 min", "3 d". */
export function formatDuration(seconds: number): string {
  const parts: string[] = [];
  let s = Math.round(seconds);
  for (const [unit, size] of [['d', 86_400], ['h', 3600], ['min', 60]] as const) {
    if (s >= size) {
      parts.push(`${Math.floor(s / size)} ${unit}`);
      s %= size;
    }
  }
  if (s > 0 || parts.length === 0) parts.push(`${s} s`);
  return parts.slice(0, 2).join(' ');
}

const fail = (code: ChatError['code'], message: string): ModerationAck => ({ ok: false, error: { code, message } });

/**
 * Carries out one moderation request from a moderator or the streamer
 * (`actor`, already verified): writes it through {@link Moderation} (which logs
 * it), tells the room with a system notice, and answers the actor. `reply`
 * sends a notice to the actor only.
 */
export async function runModeration(
  ctx: ModerationContext,
  channel: string,
  actor: Actor,
  req: ModerationRequest,
  reply: (n: SystemNotice) => void,
): Promise<ModerationAck> {
  const { io, moderation, messages } = ctx;
  const room = roomOf(channel);
  const now = ctx.clock();
  const toRoom = (code: NoticeCode, text: string, opts?: NoticeOptions) => io.to(room).emit('notice', ctx.makeNotice(channel, code, text, opts));

  /** The target as connected now (name, address, role) or as last seen. */
  const findTarget = async (userId: string) => {
    const sockets = (await io.in(room).fetchSockets()).filter((s) => s.data.userId === userId);
    const stored = await moderation.user(userId);
    const live = sockets[0]?.data;
    const user: KnownUser | undefined = live ? { id: userId, name: live.name, address: live.address } : stored;
    const privileged = sockets.some((s) => s.data.role !== 'viewer');
    return { user, privileged };
  };
  const refuseTarget = async (userId: string): Promise<{ user: KnownUser } | { error: ModerationAck }> => {
    if (userId === actor.id) return { error: fail('LR_CHAT_FORBIDDEN', 'You cannot moderate yourself.') };
    const { user, privileged } = await findTarget(userId);
    if (!user) return { error: fail('LR_CHAT_NOT_FOUND', 'No viewer with that id has been seen in this chat.') };
    if (privileged) return { error: fail('LR_CHAT_FORBIDDEN', `${user.name} is a moderator; revoke their token first.`) };
    return { user };
  };

  switch (req.action) {
    case 'delete': {
      const message = await messages.get(req.messageId);
      if (!message || message.channel !== channel) return fail('LR_CHAT_NOT_FOUND', 'That message does not exist or was already deleted.');
      if (!(await messages.remove(message.id))) return fail('LR_CHAT_NOT_FOUND', 'That message does not exist or was already deleted.');
      ctx.withdraw(channel, message.id);
      await moderation.recordDelete(message, actor, now);
      io.to(room).emit('message:deleted', { channel, id: message.id });
      reply(ctx.makeNotice(channel, 'message-deleted', `Removed a message by ${message.author.name}.`, { target: { id: message.author.id, name: message.author.name } }));
      return { ok: true };
    }
    case 'timeout': {
      const t = await refuseTarget(req.userId);
      if ('error' in t) return t.error;
      await moderation.timeout(channel, t.user, req.seconds, req.reason, actor, now);
      toRoom('timeout', `${t.user.name} was timed out for ${formatDuration(req.seconds)}.`, { level: 'warning', target: { id: t.user.id, name: t.user.name } });
      return { ok: true };
    }
    case 'ban': {
      const t = await refuseTarget(req.userId);
      if ('error' in t) return t.error;
      // By identity always; by address too unless the address is shared by many (proxy, NAT, LAN).
      const address = t.user.address && !isSharedAddress(t.user.address) ? t.user.address : '';
      if (!address) ctx.log.info({ channel, address: t.user.address }, 'chat ban by identity only: the address is shared (set http.trustedProxies behind a reverse proxy)');
      await moderation.ban(channel, { ...t.user, address }, req.reason, actor, now);
      const target = { id: t.user.id, name: t.user.name };
      toRoom('ban', `${t.user.name} was banned.`, { level: 'warning', target });
      // Every viewer connection the ban matches leaves now, as it could not come back.
      const sockets = await io.in(room).fetchSockets();
      for (const s of sockets) {
        if (s.data.role !== 'viewer') continue;
        if (s.data.userId !== t.user.id && !(address && s.data.address === address)) continue;
        s.emit('notice', ctx.makeNotice(channel, 'ban', 'You were banned from this chat.', { level: 'warning', target }));
        s.disconnect(true);
      }
      return { ok: true };
    }
    case 'unban': {
      const user = (await moderation.user(req.userId)) ?? { id: req.userId, name: 'A viewer', address: '' };
      if (!(await moderation.unban(channel, user, actor, now))) return fail('LR_CHAT_NOT_FOUND', 'That viewer is not banned or timed out here.');
      toRoom('unban', `${user.name} may chat again.`, { target: { id: user.id, name: user.name } });
      return { ok: true };
    }
    case 'slow-mode': {
      await moderation.setSlowMode(channel, req.seconds, actor, now);
      io.to(room).emit('settings', { channel, slowModeSeconds: req.seconds });
      toRoom(
        'slow-mode',
        req.seconds > 0 ? `Slow mode is on: one message every ${formatDuration(req.seconds)}.` : 'Slow mode is off.',
      );
      return { ok: true };
    }
    case 'block-word': {
      const added = await moderation.addBlockedWord(channel, req.word, actor, now);
      reply(ctx.makeNotice(channel, 'blocked-words', added ? `“${req.word}” is now blocked here.` : `“${req.word}” was already blocked.`));
      return { ok: true, blockedWords: await moderation.blockedWords(channel) };
    }
    case 'unblock-word': {
      if (!(await moderation.removeBlockedWord(channel, req.word, actor, now))) {
        const configured = (await moderation.blockedWords(channel)).some((w) => foldForMatching(w).trim() === req.word);
        return fail(
          'LR_CHAT_NOT_FOUND',
          configured
            ? `“${req.word}” is blocked by the server configuration (chat.blockedWords); the operator can remove it.`
            : `“${req.word}” is not blocked here.`,
        );
      }
      reply(ctx.makeNotice(channel, 'blocked-words', `“${req.word}” is no longer blocked here.`));
      return { ok: true, blockedWords: await moderation.blockedWords(channel) };
    }
    case 'list-blocked-words':
      return { ok: true, blockedWords: await moderation.blockedWords(channel) };
  }
}
