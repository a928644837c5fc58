import { constants, monitorEventLoopDelay, PerformanceObserver, type IntervalHistogram } from 'node:perf_hooks';
import { Gauge, Histogram, type Registry } from 'prom-client';

/**
 * prom-client's default collectors that hold nothing: each registers series read at scrape time (CPU, memory, heap,
 * handles, file descriptors, version). Its other two, event-loop lag and GC, start a monitor and an observer that
 * collectDefaultMetrics() never stops, so ProcessMetrics has its own of those two, under the same names, with a stop().
 */
const STATELESS_COLLECTORS = [
  'processCpuTotal',
  'processStartTime',
  'osMemoryHeap',
  'processOpenFileDescriptors',
  'processMaxFileDescriptors',
  'processResources',
  'processHandles',
  'processRequests',
  'heapSizeAndUsed',
  'heapSpacesSizeAndUsed',
  'version',
];

const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

/** The process's own series (process_*, nodejs_*) in `registry`; stop() ends the event-loop monitor and the GC observer. */
export class ProcessMetrics {
  private delay?: IntervalHistogram;
  private gc?: PerformanceObserver;

  constructor(private readonly registry: Registry) {}

  start(): void {
    const registers = [this.registry];
    for (const name of STATELESS_COLLECTORS) {
      (require(`prom-client/lib/metrics/${name}`) as (r: Registry, c: object) => void)(this.registry, {});
    }

    const delay = (this.delay = monitorEventLoopDelay({ resolution: 10 }));
    delay.enable();
    const stat = (suffix: string, help: string) => new Gauge({ name: `nodejs_eventloop_lag_${suffix}seconds`, help, registers });
    const stats = {
      min: stat('min_', 'The minimum recorded event loop delay.'),
      max: stat('max_', 'The maximum recorded event loop delay.'),
      mean: stat('mean_', 'The mean of the recorded event loop delays.'),
      stddev: stat('stddev_', 'The standard deviation of the recorded event loop delays.'),
      p50: stat('p50_', 'The 50th percentile of the recorded event loop delays.'),
      p90: stat('p90_', 'The 90th percentile of the recorded event loop delays.'),
      p99: stat('p99_', 'The 99th percentile of the recorded event loop delays.'),
    };
    new Gauge({
      name: 'nodejs_eventloop_lag_seconds',
      help: 'Lag of event loop in seconds.',
      registers,
      // How long a callback queued now waits; the delay statistics since the last scrape with it.
      async collect() {
        const started = process.hrtime.bigint();
        await new Promise((resolve) => setImmediate(resolve));
        this.set(Number(process.hrtime.bigint() - started) / 1e9);
        stats.min.set(delay.min / 1e9);
        stats.max.set(delay.max / 1e9);
        stats.mean.set(delay.mean / 1e9);
        stats.stddev.set(delay.stddev / 1e9);
        stats.p50.set(delay.percentile(50) / 1e9);
        stats.p90.set(delay.percentile(90) / 1e9);
        stats.p99.set(delay.percentile(99) / 1e9);
        delay.reset();
      },
    });

    const gcDuration = new Histogram({
      name: 'nodejs_gc_duration_seconds',
      help: 'Garbage collection duration by kind, one of major, minor, incremental or weakcb.',
      labelNames: ['kind'],
      buckets: [0.001, 0.01, 0.1, 1, 2, 5],
      registers,
    });
    this.gc = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const kind = GC_KINDS[(entry as { detail?: { kind?: number } }).detail?.kind ?? -1] ?? 'unknown';
        gcDuration.observe({ kind }, entry.duration / 1000);
      }
    });
    this.gc.observe({ entryTypes: ['gc'] });
  }

  stop(): void {
    this.delay?.disable();
    this.delay = undefined;
    this.gc?.disconnect();
    this.gc = undefined;
  }
}
