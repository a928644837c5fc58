import type { Clock } from '../core/clock';

export interface AddressGuardLimits {
  maxConnectionsPerAddress: number;
  authFailuresBeforeBackoff: number;
  authBackoffMs: number;
  authBackoffMaxMs: number;
}

/** Why a connection was refused at accept. */
export type AddressRefusal = 'backed-off' | 'too-many-from-address';

/** Addresses remembered at most; past it the oldest idle ones are forgotten first (many-address floods). */
const MAX_TRACKED = 65_536;

interface AddressState {
  open: number;
  failures: number;
  lastFailureAt: number;
  blockedUntil: number;
}

/**
 * Per-address bookkeeping for the RTMP listener: concurrent connections, and
 * failed attempts (unknown key, protocol violation, timeout before admission)
 * with a growing backoff. Past `authFailuresBeforeBackoff` failures each further
 * one doubles the backoff (from `authBackoffMs` up to `authBackoffMaxMs`); while
 * backed off, the address is closed as soon as it connects, before any byte is
 * parsed. An address with no failure for `authBackoffMaxMs` starts over.
 * Entries are dropped once an address has nothing open and nothing to remember,
 * so the table stays as small as the set of recent offenders.
 */
export class AddressGuard {
  private readonly states = new Map<string, AddressState>();

  constructor(
    private readonly limits: AddressGuardLimits,
    private readonly clock: Clock,
  ) {}

  /** Registers a new connection from `address`, or says why it is refused (then nothing was registered). */
  open(address: string): AddressRefusal | undefined {
    const now = this.clock();
    const state = this.states.get(address) ?? this.fresh(address);
    this.forgetIfStale(state, now);
    if (state.blockedUntil > now) return 'backed-off';
    if (state.open >= this.limits.maxConnectionsPerAddress) return 'too-many-from-address';
    state.open++;
    return undefined;
  }

  /** A connection registered by open() has closed. */
  close(address: string): void {
    const state = this.states.get(address);
    if (!state) return;
    state.open = Math.max(0, state.open - 1);
    this.dropIfEmpty(address, state, this.clock());
  }

  /** A failed attempt from `address`; returns the backoff now in force (0 if none). */
  fail(address: string): number {
    const now = this.clock();
    const state = this.states.get(address) ?? this.fresh(address);
    this.forgetIfStale(state, now);
    state.failures++;
    state.lastFailureAt = now;
    const over = state.failures - this.limits.authFailuresBeforeBackoff;
    if (over < 0) return 0;
    const backoff = Math.min(this.limits.authBackoffMaxMs, this.limits.authBackoffMs * 2 ** Math.min(over, 30));
    state.blockedUntil = now + backoff;
    return backoff;
  }

  /** Milliseconds `address` stays backed off (0 if it is not). */
  backoffLeft(address: string): number {
    const state = this.states.get(address);
    return state ? Math.max(0, state.blockedUntil - this.clock()) : 0;
  }

  /** Forgets addresses with nothing open and nothing left to remember (call now and then). */
  sweep(): void {
    const now = this.clock();
    for (const [address, state] of this.states) {
      this.forgetIfStale(state, now);
      this.dropIfEmpty(address, state, now);
    }
  }

  /** Addresses tracked (for tests and status). */
  get size(): number {
    return this.states.size;
  }

  private fresh(address: string): AddressState {
    if (this.states.size >= MAX_TRACKED) {
      for (const [a, st] of this.states) {
        if (st.open === 0) {
          this.states.delete(a);
          break;
        }
      }
    }
    const state: AddressState = { open: 0, failures: 0, lastFailureAt: 0, blockedUntil: 0 };
    this.states.set(address, state);
    return state;
  }

  private forgetIfStale(state: AddressState, now: number) {
    if (state.failures > 0 && state.blockedUntil <= now && now - state.lastFailureAt >= this.limits.authBackoffMaxMs) {
      state.failures = 0;
      state.blockedUntil = 0;
    }
  }

  private dropIfEmpty(address: string, state: AddressState, now: number) {
    if (state.open === 0 && state.failures === 0 && state.blockedUntil <= now) this.states.delete(address);
  }
}
