import type { ChatConfig } from '../core/config-schema';
import type { Logger } from '../core/logger';
import type { LiveroomEvents } from '../core/events';
import type { TypedEmitter } from '../core/typed-emitter';
import type { ChatRole } from './chat-events';
import { chatError, connectError, userIdFor, waitSeconds, type ChatSocket, type MakeNotice } from './chat-io';
import type { Moderation } from './moderation';
import type { RoleResolver } from './moderator-tokens';
import { firstIssue, handshakeSchema } from './payload-schemas';
import { KeyedRateLimiter, TokenBucket } from './rate-limiter';
import type { Clock } from '../core/clock';
import type { AddressLimits } from './address-limits';

export interface AdmissionDeps {
  config: ChatConfig;
  channelExists(name: string): Promise<boolean>;
  moderatorTokens: RoleResolver;
  moderation: Moderation;
  clock: Clock;
  log: Logger;
  makeNotice: MakeNotice;
  isStopping(): boolean;
  /** Where the handshake token of a privileged connection is kept (re-checked on each moderation request). */
  tokens: WeakMap<ChatSocket, string>;
  /** Connections open per address (the cap), shared with the message limit per address. */
  addressLimits: AddressLimits;
  /** The client address of a connection from `peer` with this X-Forwarded-For (core/client-address.ts). */
  clientAddress(peer: string, forwardedFor: string | string[] | undefined): string;
  bus?: TypedEmitter<LiveroomEvents>;
}

/**
 * The io.use middleware: per-address connection rate limit, handshake
 * validation, channel check, role from the token, bans; then a per-packet
 * token bucket on the admitted socket. `sweep()` forgets idle addresses.
 */
export class Admission {
  private readonly connects: KeyedRateLimiter;

  constructor(private readonly deps: AdmissionDeps) {
    this.connects = new KeyedRateLimiter(deps.config.connectBurst, deps.config.connectsPerSecond, deps.clock);
  }

  readonly middleware = async (socket: ChatSocket, next: (err?: Error) => void): Promise<void> => {
    let refusal: ReturnType<typeof connectError> | undefined;
    try {
      refusal = await this.admit(socket);
      if (refusal) this.deps.bus?.emit('chat:refused', { channel: channelOf(socket), code: refusal.data.code });
    } catch (err) {
      this.deps.log.error({ err }, 'chat handshake failed');
      refusal = connectError('LR_CHAT_INTERNAL', 'The chat had a problem; try again.');
    }
    next(refusal);
  };

  sweep(): void {
    this.connects.sweep();
    this.deps.addressLimits.sweep();
  }

  private address(socket: ChatSocket): string {
    return this.deps.clientAddress(socket.handshake.address, socket.handshake.headers['x-forwarded-for']);
  }

  /** The refusal, if any; on success `socket.data` is filled in. */
  private async admit(socket: ChatSocket): Promise<ReturnType<typeof connectError> | undefined> {
    const { deps } = this;
    if (deps.isStopping()) return connectError('LR_CHAT_UNAVAILABLE', 'The chat is restarting; try again in a moment.');
    const address = this.address(socket);
    if (!this.connects.take(address)) {
      const wait = waitSeconds(this.connects.waitMs(address));
      return connectError('LR_CHAT_TOO_MANY_CONNECTIONS', `Too many connections from your address; try again in ${wait} s.`);
    }
    const parsed = handshakeSchema.safeParse(socket.handshake.auth);
    if (!parsed.success) return connectError('LR_CHAT_BAD_HANDSHAKE', `Cannot join the chat: ${firstIssue(parsed.error)}.`);
    const { channel, identity, name, token, overlay, batch } = parsed.data;
    if (!(await deps.channelExists(channel))) return connectError('LR_CHAT_NO_CHANNEL', `There is no channel '${channel}'.`);
    let role: ChatRole = 'viewer';
    let tokenId: string | undefined;
    if (token !== undefined) {
      const granted = await deps.moderatorTokens.grant(channel, token);
      if (!granted) {
        return connectError(
          'LR_CHAT_BAD_TOKEN',
          'That token is not valid for this channel (revoked? the admin token does not work in the chat); join without it or ask for a moderator or streamer token.',
        );
      }
      ({ role, tokenId } = granted);
      deps.tokens.set(socket, token);
    }
    const userId = userIdFor(identity);
    // Moderators and the streamer are not held by bans: their token is the authority (revoke it instead).
    if (role === 'viewer' && (await deps.moderation.isBanned(channel, userId, address))) return connectError('LR_CHAT_BANNED', 'You are banned from this chat.');
    // After the store's answers, the server may have begun stopping.
    if (deps.isStopping()) return connectError('LR_CHAT_UNAVAILABLE', 'The chat is restarting; try again in a moment.');
    // Last, so that a refusal above never holds a slot; openSocket() checks and takes in one synchronous step.
    const release = deps.addressLimits.openSocket(address);
    if (!release) {
      const max = deps.addressLimits.maxSockets;
      return connectError('LR_CHAT_TOO_MANY_SOCKETS', `Too many chat connections are open from your address (at most ${max}); close some tabs and try again.`);
    }
    // 'disconnect' for a socket that joined; the engine connection's 'close' for one dropped before it could join.
    socket.once('disconnect', release);
    socket.conn.once('close', release);
    socket.data = { channel, userId, name, role, address, overlay: overlay ?? false, batch: batch ?? false, ...(tokenId && { tokenId }) };
    this.limitPackets(socket);
    return undefined;
  }

  /** Every packet takes a token; without one it is dropped, answered if it has an ack, and a flood closes the connection. */
  private limitPackets(socket: ChatSocket): void {
    const { config, clock, log, makeNotice } = this.deps;
    const bucket = new TokenBucket(config.packetBurst, config.packetsPerSecond, clock);
    let dropped = 0;
    let lastNotice = -Infinity;
    socket.use((packet, next) => {
      if (bucket.take()) {
        dropped = 0;
        return next();
      }
      const wait = bucket.waitMs();
      this.deps.bus?.emit('chat:refused', { channel: socket.data.channel, code: 'LR_CHAT_RATE_LIMITED' });
      const ack = packet[packet.length - 1];
      if (typeof ack === 'function') {
        try {
          ack({ ok: false, error: chatError('LR_CHAT_RATE_LIMITED', `You are going too fast; wait ${waitSeconds(wait)} s.`, wait) });
        } catch {
          /* a client's ack cannot hurt us */
        }
      } else if (clock() - lastNotice > 5000) {
        lastNotice = clock();
        socket.emit('notice', makeNotice(socket.data.channel, 'rate-limited', 'You are going too fast; some of your actions were ignored.', { level: 'warning' }));
      }
      if (++dropped > config.packetBurst * 10) {
        log.warn({ channel: socket.data.channel, address: socket.data.address }, 'chat client flooding; disconnected');
        socket.disconnect(true);
      }
      // next() is not called: the packet is dropped.
    });
  }
}

/** The channel a handshake names, when it names one (a refusal's label). */
function channelOf(socket: ChatSocket): string | undefined {
  const channel = (socket.handshake.auth as { channel?: unknown } | undefined)?.channel;
  return typeof channel === 'string' ? channel : undefined;
}
