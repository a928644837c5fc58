/**
 * `npm run bench -- viewers [--direct=250,500,1000,1500] [--edge=1000,2500,5000] [--seconds=15] [--warmup=5] [--workers=2]`:
 * how many LL-HLS viewers one origin process serves (issue 11, item 4). At each
 * step, N light viewers (bench/ll-hls-viewer.ts: blocking reload for the next
 * part, then the part, one rendition, as hls.js does) in load-generator
 * processes beside the server follow a live passthrough stream, straight on the
 * origin or through Debian's nginx running deploy/nginx-edge.conf. A reference
 * viewer in this process, straight on the origin, says when each part could
 * first be had; a viewer's lag for a part is its arrival minus that.
 *
 * Reported per step: lag p50/p95/p99 over every viewer and part, viewers
 * behind (p95 lag over one part target, or more than 5% of the parts missed),
 * and CPU: the origin's (and per viewer), nginx's, the generators'.
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LiveroomProcess, sleep } from './bench/liveroom-process';
import { startLoopedTestsrcPublisher } from './bench/testsrc-publisher';
import { epochMs, LightViewer } from './bench/ll-hls-viewer';
import { edgeConfig, startNginx, type Nginx } from './bench/nginx-process';
import { cpuTimes, ensureOpenFiles } from './bench/process-resources';
import { percentile } from './bench/stats';
import type { ViewersWorkerReply, ViewersWorkerRequest } from './bench/viewers-worker';

export interface ViewersBenchOptions {
  root: string;
  direct: number[];
  edge: number[];
  seconds: number;
  warmupSeconds: number;
  workers: number;
  /** Node flags for the server process, space-separated (e.g. --cpu-prof to see where a request's time goes). */
  serverNodeOptions?: string;
  log: (line: string) => void;
}

export interface ViewersStep {
  via: 'origin' | 'edge';
  viewers: number;
  lagP50Ms: number;
  lagP95Ms: number;
  lagP99Ms: number;
  viewersBehind: number;
  partsMissedShare: number;
  errors: number;
  /** CPU over the measured window, as a share of one core. */
  originCpu: number;
  originCpuUsPerViewerSecond: number;
  nginxCpu: number | null;
  generatorCpu: number;
}

export interface ViewersBenchResult {
  machine: { cpus: number; model: string; loadAvg1: number };
  options: Omit<ViewersBenchOptions, 'root' | 'log'>;
  partTargetMs: number;
  steps: ViewersStep[];
}

/** Passthrough profile; the server's per-address limits opened up: the bench measures capacity, not the limits. */
const BENCH_CONFIG = { http: { maxHeldRequestsPerAddress: 100_000 } };
/** Loopback addresses each generator spreads its viewers over. */
const ADDRESSES_PER_WORKER = 200;

const cpuSeconds = (pid: number | undefined) => {
  const t = cpuTimes(pid);
  return t.user + t.system;
};

async function runStep(
  opts: ViewersBenchOptions,
  server: LiveroomProcess,
  via: 'origin' | 'edge',
  viewers: number,
  urls: { origin: string; edge?: string },
  nginx: Nginx | undefined,
  partTargetMs: number,
): Promise<ViewersStep> {
  const playlistUrl = via === 'edge' ? urls.edge! : urls.origin;
  const reference = new LightViewer(urls.origin);
  reference.start();
  const rampSeconds = Math.min(5, viewers / 200);
  const per = Math.ceil(viewers / opts.workers);
  const workers: ChildProcess[] = [];
  const replies: Promise<ViewersWorkerReply>[] = [];
  for (let w = 0; w < opts.workers; w++) {
    const count = Math.min(per, viewers - w * per);
    if (count <= 0) break;
    const child = fork(path.join(__dirname, 'bench', 'viewers-worker.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    workers.push(child);
    replies.push(new Promise((resolve, reject) => {
      child.once('message', (m: ViewersWorkerReply) => resolve(m));
      child.once('exit', (code) => reject(new Error(`viewers worker exited (${code})`)));
    }));
    const req: ViewersWorkerRequest = {
      type: 'start', playlistUrl, count, addressOffset: w * ADDRESSES_PER_WORKER, addresses: ADDRESSES_PER_WORKER,
      rampSeconds, warmupSeconds: opts.warmupSeconds, seconds: opts.seconds,
    };
    child.send(req);
  }
  try {
    await sleep((rampSeconds + opts.warmupSeconds) * 1000);
    reference.arrivals.clear();
    const from = epochMs();
    const cpu0 = { origin: cpuSeconds(server.pid), nginx: cpuSeconds(nginx?.pid), gen: workers.reduce((a, c) => a + cpuSeconds(c.pid), 0) };
    await sleep(opts.seconds * 1000);
    const window = (epochMs() - from) / 1000;
    const cpu1 = { origin: cpuSeconds(server.pid), nginx: cpuSeconds(nginx?.pid), gen: workers.reduce((a, c) => a + cpuSeconds(c.pid), 0) };
    const results = await Promise.all(replies);

    // A part counts when the reference got it inside every worker's window (minus one second at the end for stragglers).
    const lastFrom = Math.max(from, ...results.map((r) => r.measuredFrom));
    const firstTo = Math.min(...results.map((r) => r.measuredTo)) - 1000;
    const ref = new Map([...reference.arrivals].filter(([, t]) => t >= lastFrom && t <= firstTo));
    const lags: number[] = [];
    let behind = 0;
    let missed = 0;
    for (const r of results) {
      for (const list of r.arrivals) {
        const got = new Map(list);
        const mine: number[] = [];
        for (const [uri, t0] of ref) {
          const t = got.get(uri);
          if (t === undefined) missed++;
          else mine.push(Math.max(0, t - t0));
        }
        lags.push(...mine);
        const sorted = mine.sort((a, b) => a - b);
        const missedShare = ref.size ? 1 - mine.length / ref.size : 1;
        if (!sorted.length || percentile(sorted, 95) > partTargetMs || missedShare > 0.05) behind++;
      }
    }
    lags.sort((a, b) => a - b);
    const originCpu = (cpu1.origin - cpu0.origin) / window;
    return {
      via,
      viewers,
      lagP50Ms: Math.round(percentile(lags, 50)),
      lagP95Ms: Math.round(percentile(lags, 95)),
      lagP99Ms: Math.round(percentile(lags, 99)),
      viewersBehind: behind,
      partsMissedShare: ref.size ? missed / (ref.size * viewers) : 1,
      errors: results.reduce((a, r) => a + r.errors, 0),
      originCpu,
      originCpuUsPerViewerSecond: (originCpu * 1e6) / viewers,
      nginxCpu: nginx ? (cpu1.nginx - cpu0.nginx) / window : null,
      generatorCpu: (cpu1.gen - cpu0.gen) / window,
    };
  } finally {
    await reference.stop();
    for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
  }
}

export async function runViewersBench(opts: ViewersBenchOptions): Promise<ViewersBenchResult> {
  const log = opts.log;
  ensureOpenFiles(Math.max(...opts.direct, ...opts.edge, 100) + 1000, log);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-bench-viewers-'));
  const configFile = path.join(dir, 'config.json');
  fs.writeFileSync(configFile, JSON.stringify(BENCH_CONFIG));
  const server = new LiveroomProcess({ root: opts.root, logLevel: 'warn', env: { LIVEROOM_PROFILE: 'passthrough', LIVEROOM_CONFIG: configFile }, nodeArgs: opts.serverNodeOptions?.split(/\s+/).filter(Boolean) });
  let publisher: ChildProcess | undefined;
  let nginx: Nginx | undefined;
  const steps: ViewersStep[] = [];
  try {
    await server.start();
    publisher = await startLoopedTestsrcPublisher(server.rtmpUrl(), dir);
    let uri = '';
    for (let i = 0; i < 150 && !uri; i++) {
      const r = await fetch(`${server.httpOrigin}/hls/live/master.m3u8`).catch(() => undefined);
      const text = r?.ok ? await r.text() : '';
      uri = text.split('\n').find((l) => l.trim() && !l.startsWith('#'))?.trim() ?? '';
      if (!uri) await sleep(200);
    }
    if (!uri) throw new Error('the stream did not go live');
    const originUrl = `${server.httpOrigin}/hls/live/${uri}`;
    const playlist = await (await fetch(originUrl)).text();
    const partTargetMs = Math.round(Number(/PART-TARGET=([\d.]+)/.exec(playlist)?.[1] ?? 0.2) * 1000);
    await sleep(3000);
    for (const n of opts.direct) {
      log(`${n} viewers on the origin`);
      const s = await runStep(opts, server, 'origin', n, { origin: originUrl }, undefined, partTargetMs);
      steps.push(s);
      log(`${n} on the origin: lag p50 ${s.lagP50Ms} p95 ${s.lagP95Ms} p99 ${s.lagP99Ms} ms, ${s.viewersBehind} behind, origin ${(s.originCpu * 100).toFixed(0)}% (${s.originCpuUsPerViewerSecond.toFixed(0)} µs per viewer-second), generators ${(s.generatorCpu * 100).toFixed(0)}%`);
    }
    if (opts.edge.length) {
      const conf = edgeConfig(opts.root, server.httpOrigin, path.join(dir, 'cache'), path.join(dir, 'access.log')).replace(/access_log \S+ edge;/, 'access_log off;');
      nginx = await startNginx(conf, { workerConnections: Math.max(...opts.edge) + 1024 });
      const edgeUrl = `${nginx.url}/hls/live/${uri}`;
      for (const n of opts.edge) {
        log(`${n} viewers through the nginx edge`);
        const s = await runStep(opts, server, 'edge', n, { origin: originUrl, edge: edgeUrl }, nginx, partTargetMs);
        steps.push(s);
        log(`${n} through the edge: lag p50 ${s.lagP50Ms} p95 ${s.lagP95Ms} p99 ${s.lagP99Ms} ms, ${s.viewersBehind} behind, origin ${(s.originCpu * 100).toFixed(0)}%, nginx ${((s.nginxCpu ?? 0) * 100).toFixed(0)}%, generators ${(s.generatorCpu * 100).toFixed(0)}%`);
      }
    }
    return {
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? '', loadAvg1: os.loadavg()[0] },
      options: { direct: opts.direct, edge: opts.edge, seconds: opts.seconds, warmupSeconds: opts.warmupSeconds, workers: opts.workers },
      partTargetMs,
      steps,
    };
  } finally {
    await nginx?.stop();
    publisher?.kill('SIGKILL');
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function formatViewersResult(r: ViewersBenchResult): string {
  const pct = (v: number | null) => (v === null ? '–' : `${Math.round(v * 100)}%`);
  const rows = r.steps.map((s) =>
    `| ${s.via} | ${s.viewers} | ${s.lagP50Ms} | ${s.lagP95Ms} | ${s.lagP99Ms} | ${s.viewersBehind} | ${(s.partsMissedShare * 100).toFixed(1)}% | ${pct(s.originCpu)} | ${s.originCpuUsPerViewerSecond.toFixed(0)} | ${pct(s.nginxCpu)} | ${pct(s.generatorCpu)} |`);
  return [
    `LL-HLS viewers: light viewers (blocking reload + part, one rendition) in ${r.options.workers} generator processes; ${r.options.seconds} s measured per step; part target ${r.partTargetMs} ms; ${r.machine.cpus} × ${r.machine.model}, load ${r.machine.loadAvg1.toFixed(1)} at the end`,
    '',
    '| via | viewers | lag p50 ms | p95 | p99 | viewers behind (p95 > 1 part) | parts missed | origin CPU | µs per viewer-second | nginx CPU | generators CPU |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}
