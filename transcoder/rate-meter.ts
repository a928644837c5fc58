/** Bytes per second over a sliding window, from byte counts as they arrive. */
export class RateMeter {
  private readonly buckets: { t: number; bytes: number }[] = [];

  constructor(
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  add(bytes: number): void {
    const t = Math.floor(this.now() / 250) * 250; // quarter-second buckets keep the list short
    const last = this.buckets[this.buckets.length - 1];
    if (last && last.t === t) last.bytes += bytes;
    else this.buckets.push({ t, bytes });
    this.trim();
  }

  /** kbit/s over the window (over the time since the first byte while the window is not yet full). */
  kbps(): number {
    this.trim();
    if (this.buckets.length === 0) return 0;
    const span = Math.min(this.windowMs, Math.max(250, this.now() - this.buckets[0].t));
    const bytes = this.buckets.reduce((a, b) => a + b.bytes, 0);
    return (bytes * 8) / span;
  }

  private trim() {
    const from = this.now() - this.windowMs;
    while (this.buckets.length && this.buckets[0].t < from) this.buckets.shift();
  }
}
