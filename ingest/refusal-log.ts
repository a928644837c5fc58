import type { Clock } from '../core/clock';
import type { Logger } from '../core/logger';

/** Addresses with an open interval at most; past it, refusals are counted under '*' (many-address floods). */
const MAX_WINDOWS = 4096;

interface Window {
  until: number;
  counts: Record<string, number>;
  suppressed: number;
}

/**
 * Logs refused RTMP connections at most once per address per interval: the
 * first refusal is logged at once with its details; later ones in the same
 * interval are only counted and logged as one summary line when it ends (and
 * the next interval starts then, so a steady flood gives one line per interval).
 */
export class RefusalLog {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly log: Logger,
    private readonly intervalMs: number,
    private readonly clock: Clock,
  ) {}

  refused(address: string, reason: string, detail: Record<string, unknown> = {}, message = 'RTMP connection refused'): void {
    const now = this.clock();
    const w = this.windows.get(address);
    if (w && w.until > now) {
      w.counts[reason] = (w.counts[reason] ?? 0) + 1;
      w.suppressed++;
      return;
    }
    if (w && w.suppressed > 0) this.summarize(address, w);
    if (!w && address !== '*' && this.windows.size >= MAX_WINDOWS) return this.refused('*', reason);
    this.windows.set(address, { until: now + this.intervalMs, counts: {}, suppressed: 0 });
    this.log.warn({ remote: address, reason, ...detail }, message);
  }

  /** Writes the summaries of intervals that have ended (call now and then) and forgets quiet addresses. */
  flush(): void {
    const now = this.clock();
    for (const [address, w] of this.windows) {
      if (w.until > now) continue;
      if (w.suppressed > 0) {
        this.summarize(address, w);
        this.windows.set(address, { until: now + this.intervalMs, counts: {}, suppressed: 0 });
      } else {
        this.windows.delete(address);
      }
    }
  }

  /** Summaries of every open interval, at once (stop). */
  close(): void {
    for (const [address, w] of this.windows) if (w.suppressed > 0) this.summarize(address, w);
    this.windows.clear();
  }

  private summarize(address: string, w: Window) {
    this.log.warn({ remote: address, refused: w.counts, intervalMs: this.intervalMs }, `RTMP: ${w.suppressed} more refused from this address`);
  }
}
