import { KeyedRateLimiter, TokenBucket } from './rate-limiter';

describe('TokenBucket', () => {
  it('allows a burst of `capacity`, then the refill rate', () => {
    let now = 1_000_000;
    const bucket = new TokenBucket(3, 2, () => now); // 3 at once, then one every 500 ms
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
    expect(bucket.waitMs()).toBe(500);
    now += 499;
    expect(bucket.take()).toBe(false);
    now += 1;
    expect(bucket.take()).toBe(true);
    expect(bucket.take()).toBe(false);
  });

  it('never holds more than its capacity, however long it idles', () => {
    let now = 0;
    const bucket = new TokenBucket(2, 1, () => now);
    now += 3_600_000;
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, false]);
  });

  it('takes several tokens at once or none', () => {
    let now = 0;
    const bucket = new TokenBucket(10, 5, () => now);
    expect(bucket.take(8)).toBe(true);
    expect(bucket.take(3)).toBe(false);
    expect(bucket.take(2)).toBe(true);
    expect(bucket.waitMs(5)).toBe(1000);
    now += 1000;
    expect(bucket.take(5)).toBe(true);
  });

  it('is not fooled by a clock that goes backwards', () => {
    let now = 10_000;
    const bucket = new TokenBucket(1, 1, () => now);
    expect(bucket.take()).toBe(true);
    now -= 5000;
    expect(bucket.take()).toBe(false);
    now += 1000; // back where it was: no time has really passed since the take
    expect(bucket.take()).toBe(true); // one second after the backwards jump, one token
  });

  it('rejects nonsense parameters', () => {
    expect(() => new TokenBucket(0, 1)).toThrow(RangeError);
    expect(() => new TokenBucket(1, 0)).toThrow(RangeError);
  });
});

describe('KeyedRateLimiter', () => {
  it('keeps one bucket per key and forgets full ones', () => {
    let now = 0;
    const limiter = new KeyedRateLimiter(2, 1, () => now);
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a')]).toEqual([true, true, false]);
    expect(limiter.take('b')).toBe(true);
    expect(limiter.waitMs('a')).toBe(1000);
    limiter.sweep();
    expect(limiter.size).toBe(2);
    now += 2000;
    limiter.sweep();
    expect(limiter.size).toBe(0);
    expect(limiter.take('a')).toBe(true);
  });
});
