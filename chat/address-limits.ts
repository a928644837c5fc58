import type { ChatConfig } from '../core/config-schema';
import type { Clock } from '../core/clock';
import { AddressSlots } from '../core/address-slots';
import { KeyedRateLimiter } from './rate-limiter';

/**
 * What one client address may do across all its chat connections and
 * identities: how many connections it keeps open ('chat.maxSocketsPerAddress')
 * and how many messages it sends ('chat.messageBurstPerAddress',
 * 'chat.messagesPerSecondPerAddress'), on top of each connection's own bucket.
 * Shared addresses (NAT, a proxy not in 'http.trustedProxies') count as one.
 */
export class AddressLimits {
  private readonly sockets: AddressSlots;
  private readonly messages: KeyedRateLimiter;

  constructor(config: Pick<ChatConfig, 'maxSocketsPerAddress' | 'messageBurstPerAddress' | 'messagesPerSecondPerAddress'>, clock: Clock) {
    this.sockets = new AddressSlots(config.maxSocketsPerAddress);
    this.messages = new KeyedRateLimiter(config.messageBurstPerAddress, config.messagesPerSecondPerAddress, clock);
  }

  get maxSockets(): number {
    return this.sockets.maxPerAddress;
  }

  /** A connection slot for `address` and its release (extra calls do nothing), or undefined at the cap. */
  openSocket(address: string): (() => void) | undefined {
    return this.sockets.acquire(address);
  }

  /** Connections open from `address`, or from everyone. */
  socketsOpen(address?: string): number {
    return this.sockets.count(address);
  }

  /** How long until `address` may send a message (0: now). */
  messageWaitMs(address: string): number {
    return this.messages.waitMs(address);
  }

  /** Counts one message of `address`; false when its bucket is empty. */
  takeMessage(address: string): boolean {
    return this.messages.take(address);
  }

  /** Forgets addresses whose buckets are full again. */
  sweep(): void {
    this.messages.sweep();
  }
}
