/** Small descriptive statistics for bench samples. */

export interface Summary {
  count: number;
  min: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Percentile (0..100) with linear interpolation between closest ranks; NaN for no data. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}

export function median(values: readonly number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    count: sorted.length,
    min: sorted.length ? sorted[0] : NaN,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1] : NaN,
    mean: sorted.length ? sum / sorted.length : NaN,
  };
}

/** Rounded to two decimals. */
export const round2 = (x: number): number => Math.round(x * 100) / 100;

/** Median and range of a few runs' figures. */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

export function spread(values: readonly number[]): Spread {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

export interface Percentiles {
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentiles of raw samples (each figure is one of the samples); NaN for no data. */
export function nearestRankPercentiles(values: readonly number[]): Percentiles {
  const s = [...values].sort((a, b) => a - b);
  const at = (p: number) => (s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : NaN);
  return { p50: at(50), p90: at(90), p95: at(95), p99: at(99), max: s.length ? s[s.length - 1] : NaN };
}

/** Nearest-rank percentiles of a histogram whose bucket i counts samples of value i (e.g. 1 ms buckets); NaN for no data. */
export function histogramPercentiles(histogram: ArrayLike<number>): Percentiles & { samples: number } {
  let samples = 0;
  for (let i = 0; i < histogram.length; i++) samples += histogram[i];
  const at = (p: number) => {
    if (samples === 0) return NaN;
    const rank = Math.ceil((p / 100) * samples);
    let seen = 0;
    for (let i = 0; i < histogram.length; i++) {
      seen += histogram[i];
      if (seen >= rank) return i;
    }
    return histogram.length - 1;
  };
  let max = NaN;
  for (let i = histogram.length - 1; i >= 0; i--) {
    if (histogram[i] > 0) {
      max = i;
      break;
    }
  }
  return { p50: at(50), p90: at(90), p95: at(95), p99: at(99), max, samples };
}
