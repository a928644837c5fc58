/**
 * `npm run bench -- edge [--viewers=20] [--seconds=30] [--warmup=8] [--runs=3]`:
 * LL-HLS through the nginx caching edge of deploy/nginx-edge.conf. N light
 * viewers follow the live edge through the edge as hls.js does (a blocking
 * reload for the next part, then that part), and two more do the same
 * directly against the origin, on the same stream at the same time. Reported:
 * origin requests per part and per blocking reload (from nginx's cache status),
 * and how much later a part arrives through the edge than directly (median and
 * p95 per run), which is what glass-to-glass through the edge adds.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LiveroomProcess, sleep } from './bench/liveroom-process';
import { startTestsrcPublisher } from './bench/testsrc-publisher';
import { edgeConfig, edgeLogStats, startNginx, type EdgeLogStats } from './bench/nginx-process';
import { epochMs, LightViewer } from './bench/ll-hls-viewer';
import { median, percentile } from './bench/stats';

export interface EdgeBenchOptions {
  root: string;
  viewers: number;
  seconds: number;
  warmupSeconds: number;
  runs: number;
  /** proxy_cache_lock as shipped (on), or off: every viewer's request then reaches the origin. */
  lock: boolean;
  /** proxy_cache_lock_timeout in nginx syntax (e.g. "300ms"); unset: as shipped. */
  lockTimeout?: string;
  log: (line: string) => void;
}

interface EdgeRun {
  stats: EdgeLogStats;
  partOriginPerPart: number;
  blockingOriginPerReload: number;
  /** Through the edge minus direct, per part and viewer, ms. */
  extraDelayP50Ms: number;
  extraDelayP95Ms: number;
  partsCompared: number;
  viewerErrors: number;
}

export interface EdgeBenchResult {
  options: Omit<EdgeBenchOptions, 'root' | 'log'>;
  machine: { cpus: number; loadAvg1: number };
  runs: EdgeRun[];
}

async function runOnce(opts: EdgeBenchOptions, run: number): Promise<EdgeRun> {
  const server = new LiveroomProcess({ root: opts.root, logLevel: 'warn', env: { LIVEROOM_PROFILE: 'passthrough' } });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-bench-edge-'));
  const accessLog = path.join(dir, 'access.log');
  let publisher: ChildProcess | undefined;
  let edge: Awaited<ReturnType<typeof startNginx>> | undefined;
  const viewers: LightViewer[] = [];
  try {
    await server.start();
    publisher = startTestsrcPublisher(server.rtmpUrl());
    let playlist = '';
    for (let i = 0; i < 150 && !playlist; i++) {
      const r = await fetch(`${server.httpOrigin}/hls/live/master.m3u8`).catch(() => undefined);
      const text = r?.ok ? await r.text() : '';
      const uri = text.split('\n').find((l) => l.trim() && !l.startsWith('#'));
      if (uri) playlist = uri.trim();
      else await sleep(200);
    }
    if (!playlist) throw new Error('the stream did not go live');
    const conf = edgeConfig(opts.root, server.httpOrigin, path.join(dir, 'cache'), accessLog);
    let tuned = opts.lock ? conf : conf.replace('proxy_cache_lock on;', 'proxy_cache_lock off;');
    if (opts.lockTimeout) tuned = tuned.replace(/proxy_cache_lock_timeout [^;]+;/, `proxy_cache_lock_timeout ${opts.lockTimeout};`);
    edge = await startNginx(tuned);
    const edgeUrl = `${edge.url}/hls/live/${playlist}`;
    const directUrl = `${server.httpOrigin}/hls/live/${playlist}`;
    const direct = [new LightViewer(directUrl), new LightViewer(directUrl)];
    const through = Array.from({ length: opts.viewers }, () => new LightViewer(edgeUrl));
    viewers.push(...direct, ...through);
    opts.log(`run ${run}: ${opts.viewers} viewers through the edge + 2 direct; warm-up ${opts.warmupSeconds} s`);
    for (const v of viewers) v.start();
    await sleep(opts.warmupSeconds * 1000);
    fs.writeFileSync(accessLog, '');
    const since = epochMs();
    await sleep(opts.seconds * 1000);
    const stats = edgeLogStats(accessLog);
    for (const v of viewers) await v.stop();

    // Per part: the first direct arrival is the reference; each edge viewer's arrival minus it.
    const extra: number[] = [];
    const ref = new Map<string, number>();
    for (const v of direct) for (const [uri, t] of v.arrivals) if (t >= since) ref.set(uri, Math.min(ref.get(uri) ?? Infinity, t));
    for (const v of through) for (const [uri, t] of v.arrivals) if (ref.has(uri)) extra.push(t - ref.get(uri)!);
    const sorted = extra.sort((a, b) => a - b);
    const result: EdgeRun = {
      stats,
      partOriginPerPart: stats.parts ? stats.partOriginRequests / stats.parts : NaN,
      blockingOriginPerReload: stats.blocking ? stats.blockingOriginRequests / stats.blocking : NaN,
      extraDelayP50Ms: Math.round(percentile(sorted, 50)),
      extraDelayP95Ms: Math.round(percentile(sorted, 95)),
      partsCompared: sorted.length,
      viewerErrors: viewers.reduce((a, v) => a + v.errors, 0),
    };
    opts.log(`run ${run}: ${stats.parts} parts, ${result.partOriginPerPart.toFixed(2)} origin requests per part; ${stats.blocking} blocking reloads, ${result.blockingOriginPerReload.toFixed(2)} each; +${result.extraDelayP50Ms} ms p50, +${result.extraDelayP95Ms} ms p95 through the edge`);
    return result;
  } finally {
    for (const v of viewers) await v.stop();
    await edge?.stop();
    publisher?.kill('SIGKILL');
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function runEdgeBench(opts: EdgeBenchOptions): Promise<EdgeBenchResult> {
  const runs: EdgeRun[] = [];
  for (let i = 1; i <= opts.runs; i++) runs.push(await runOnce(opts, i));
  const { root: _root, log: _log, ...options } = opts;
  return { options, machine: { cpus: os.cpus().length, loadAvg1: os.loadavg()[0] }, runs };
}

export function formatEdgeResult(r: EdgeBenchResult): string {
  const col = (f: (x: EdgeRun) => number, digits = 0) => {
    const v = r.runs.map(f);
    return `${median(v).toFixed(digits)} (${Math.min(...v).toFixed(digits)}–${Math.max(...v).toFixed(digits)})`;
  };
  return [
    `LL-HLS through the nginx edge (deploy/nginx-edge.conf, proxy_cache_lock ${r.options.lock ? 'on' : 'off'}${r.options.lockTimeout ? `, proxy_cache_lock_timeout ${r.options.lockTimeout}` : ''}): ${r.options.viewers} light viewers through it + 2 direct, ${r.options.seconds} s × ${r.runs.length} runs; ${r.machine.cpus} CPUs, load ${r.machine.loadAvg1.toFixed(1)} at the end`,
    '| measure | median (range) |',
    '| --- | --- |',
    `| origin requests per part | ${col((x) => x.partOriginPerPart, 2)} |`,
    `| origin requests per blocking reload | ${col((x) => x.blockingOriginPerReload, 2)} |`,
    `| part arrival through the edge, later than direct, p50 | ${col((x) => x.extraDelayP50Ms)} ms |`,
    `| same, p95 | ${col((x) => x.extraDelayP95Ms)} ms |`,
    `| viewer request errors | ${col((x) => x.viewerErrors)} |`,
  ].join('\n');
}
