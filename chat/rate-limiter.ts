import type { Clock } from '../core/clock';

/**
 * A token bucket: holds up to `capacity` tokens, refills `refillPerSecond`
 * continuously, and each action takes one (or `n`). A full bucket allows a
 * burst of `capacity`; after that, the refill rate is the sustained rate.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly capacity: number,
    readonly refillPerSecond: number,
    private readonly clock: Clock = Date.now,
  ) {
    if (!(capacity >= 1) || !(refillPerSecond > 0)) throw new RangeError('TokenBucket needs capacity >= 1 and refillPerSecond > 0');
    this.tokens = capacity;
    this.last = clock();
  }

  private refill(): void {
    const now = this.clock();
    const elapsed = Math.max(0, now - this.last);
    this.last = now;
    this.tokens = Math.min(this.capacity, this.tokens + (elapsed * this.refillPerSecond) / 1000);
  }

  /** Takes `n` tokens if they are there; false (and nothing taken) otherwise. */
  take(n = 1): boolean {
    this.refill();
    if (this.tokens + 1e-9 < n) return false;
    this.tokens = Math.max(0, this.tokens - n);
    return true;
  }

  /** How long until `n` tokens are available (0 when they are). */
  waitMs(n = 1): number {
    this.refill();
    const missing = n - this.tokens;
    return missing <= 1e-9 ? 0 : Math.ceil((missing * 1000) / this.refillPerSecond);
  }

  /** Full again: as if never used. Lets a keyed limiter forget this key. */
  isFull(): boolean {
    this.refill();
    return this.tokens >= this.capacity;
  }
}

/**
 * One token bucket per key (client address for new connections). Buckets that
 * have refilled completely carry no information and are swept away, so memory
 * follows the number of recently active keys.
 */
export class KeyedRateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly capacity: number,
    private readonly refillPerSecond: number,
    private readonly clock: Clock = Date.now,
  ) {}

  take(key: string): boolean {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(this.capacity, this.refillPerSecond, this.clock);
      this.buckets.set(key, bucket);
    }
    return bucket.take();
  }

  waitMs(key: string): number {
    return this.buckets.get(key)?.waitMs() ?? 0;
  }

  /** Drops buckets that are full again. Call every few seconds. */
  sweep(): void {
    for (const [key, bucket] of this.buckets) if (bucket.isFull()) this.buckets.delete(key);
  }

  get size(): number {
    return this.buckets.size;
  }
}
