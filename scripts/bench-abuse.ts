/**
 * RTMP abuse (issue 13): the real server in its own process with a live stream
 * (a real ffmpeg publisher, passthrough profile), then, from another process on
 * the same machine, at full speed: lanes of random-byte connections, stalled
 * handshakes, and handshake-then-hundreds-of-publish connections with random
 * names, spread over many loopback client addresses. Measured: the server's
 * RSS idle / peak / after, the longest gap between new parts of the live
 * playlist, the playlist's HTTP time, and how long the RTMP port takes to
 * answer a handshake from a well-behaved client during the attack.
 *
 *   node dist/scripts/bench.js abuse [--runs=3] [--idle=20] [--attack=20] [--after=30] [--garbage=300] [--stalled=100] [--floods=50] [--publishes=300] [--addresses=250]
 *
 * The bench runner (scripts/bench.ts) calls runAbuseBench().
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loopbackAddresses, type AbuseCounts } from './bench/abuse-traffic';
import type { AbuseWorkerReply, AbuseWorkerRequest } from './bench/abuse-worker';
import { LiveroomProcess, sleep } from './bench/liveroom-process';
import { startTestsrcPublisher } from './bench/testsrc-publisher';
import { cpuTimes } from './bench/process-resources';
import { RawRtmpClient } from './bench/rtmp-raw-client';
import { median, summarize } from './bench/stats';

export interface AbuseBenchOptions {
  root: string;
  runs: number;
  idleSeconds: number;
  attackSeconds: number;
  afterSeconds: number;
  garbageLanes: number;
  stalledLanes: number;
  floodLanes: number;
  garbageBytes: number;
  publishes: number;
  addresses: number;
  /** NODE_OPTIONS for the server process only (e.g. a V8 heap flag to compare). */
  serverNodeOptions?: string;
  log: (line: string) => void;
}

export interface AbuseRun {
  rssIdleMiB: number;
  /** Highest RSS of the idle window: how far the live stream alone swings above its idle level. */
  rssIdleMaxMiB: number;
  rssPeakMiB: number;
  rssAfterMiB: number;
  /** Longest time between two new parts on the live playlist, attack window (and 2 s either side). */
  maxPartGapMs: number;
  maxPartGapIdleMs: number;
  playlistHttpMaxMs: number;
  handshake: { probes: number; failed: number; p50Ms: number; maxMs: number };
  serverCpuSeconds: number;
  /** Log lines the server wrote during the attack (refusals are folded per address per interval). */
  serverLogLines: number;
  attack: Record<string, AbuseCounts>;
  publisherStillLive: boolean;
}

export interface AbuseBenchResult {
  machine: { cpus: number; loadAvg1: number };
  options: Omit<AbuseBenchOptions, 'root' | 'log'>;
  runs: AbuseRun[];
  summary: Record<string, { median: number; min: number; max: number }>;
}

/** VmRSS of a process, MiB with one decimal. */
function rssMiB(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round((Number(m[1]) / 1024) * 10) / 10 : NaN;
  } catch {
    return NaN;
  }
}

/** Polls the first rendition's media playlist every 100 ms and records when its newest part changes. */
class PartWatcher {
  readonly changes: number[] = [];
  httpMaxMs = 0;
  private running = true;
  private done: Promise<void> = Promise.resolve();
  private last = '';

  constructor(private readonly origin: string) {}

  async waitLive(timeoutMs: number): Promise<string> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      const r = await fetch(`${this.origin}/hls/live/master.m3u8`).catch(() => undefined);
      if (r?.ok) {
        const uri = (await r.text()).split('\n').find((l) => l.trim() && !l.startsWith('#'));
        if (uri) return uri.trim();
      } else await r?.arrayBuffer();
      await sleep(200);
    }
    throw new Error('the stream did not go live');
  }

  start(uri: string): void {
    this.done = (async () => {
      while (this.running) {
        const t0 = performance.now();
        try {
          const r = await fetch(`${this.origin}/hls/live/${uri}`);
          const text = await r.text();
          this.httpMaxMs = Math.max(this.httpMaxMs, performance.now() - t0);
          const parts = text.split('\n').filter((l) => l.startsWith('#EXT-X-PART:'));
          const newest = parts.at(-1) ?? '';
          if (newest && newest !== this.last) {
            this.last = newest;
            this.changes.push(Date.now());
          }
        } catch {
          this.httpMaxMs = Math.max(this.httpMaxMs, performance.now() - t0);
        }
        await sleep(100);
      }
    })();
  }

  /** Longest gap between changes inside [from, to] (a gap running past `to` counts up to `to`). */
  maxGap(from: number, to: number): number {
    let max = 0;
    let prev = from;
    for (const t of this.changes) {
      if (t < from) continue;
      if (t > to) break;
      max = Math.max(max, t - prev);
      prev = t;
    }
    return Math.max(max, to - prev);
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }
}

/** A well-behaved client's handshake, every 250 ms while `running()`. */
async function probeHandshakes(port: number, running: () => boolean): Promise<{ ms: number[]; failed: number }> {
  const ms: number[] = [];
  let failed = 0;
  while (running()) {
    const started = Date.now();
    try {
      const c = await RawRtmpClient.open({ host: '127.0.0.1', port, timeoutMs: 5000 });
      try {
        ms.push(await c.handshake(5000));
      } finally {
        c.destroy();
      }
    } catch {
      failed++;
    }
    await sleep(Math.max(0, 250 - (Date.now() - started)));
  }
  return { ms, failed };
}

async function runOnce(opts: AbuseBenchOptions, rep: number): Promise<AbuseRun> {
  const { log } = opts;
  const server = new LiveroomProcess({ root: opts.root, logLevel: 'warn', env: { LIVEROOM_PROFILE: 'passthrough', ...(opts.serverNodeOptions ? { NODE_OPTIONS: opts.serverNodeOptions } : {}) } });
  let publisher: ChildProcess | undefined;
  let worker: ChildProcess | undefined;
  const watcher = () => new PartWatcher(server.httpOrigin);
  let parts: PartWatcher | undefined;
  try {
    await server.start();
    publisher = startTestsrcPublisher(server.rtmpUrl());
    parts = watcher();
    const uri = await parts.waitLive(30_000);
    parts.start(uri);
    const rss: Array<[number, number]> = [];
    const sampler = setInterval(() => rss.push([Date.now(), rssMiB(server.pid)]), 100);
    log(`run ${rep}: live; idle ${opts.idleSeconds} s`);
    await sleep(opts.idleSeconds * 1000);
    // The live stream's own heap settles in its first seconds (V8's young generation grows to its
    // maximum) and then swings with its garbage cycle: the idle level is the median of the idle
    // window after its first quarter, and its maximum is kept to show that swing beside the attack's.
    const idleFrom = Date.now() - opts.idleSeconds * 750;
    const idleSamples = rss.filter(([t]) => t >= idleFrom).map(([, v]) => v);
    const rssIdle = median(idleSamples);
    const rssIdleMax = Math.max(...idleSamples);

    log(`run ${rep}: attack ${opts.attackSeconds} s (${opts.garbageLanes} random-byte, ${opts.stalledLanes} stalled, ${opts.floodLanes} publish-flood lanes over ${opts.addresses} addresses)`);
    const logLinesBefore = server.logLines.length;
    const cpuBefore = cpuTimes(server.pid);
    const attackFrom = Date.now();
    worker = fork(path.join(__dirname, 'bench', 'abuse-worker.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const reply = new Promise<AbuseWorkerReply>((resolve, reject) => {
      worker!.once('message', (m: AbuseWorkerReply) => resolve(m));
      worker!.once('exit', (code) => reject(new Error(`abuse worker exited (${code}) before reporting`)));
    });
    const request: AbuseWorkerRequest = {
      type: 'start',
      target: { host: '127.0.0.1', port: server.rtmpPort, app: 'live', addresses: loopbackAddresses(opts.addresses) },
      seconds: opts.attackSeconds,
      garbageLanes: opts.garbageLanes,
      stalledLanes: opts.stalledLanes,
      floodLanes: opts.floodLanes,
      garbageBytes: opts.garbageBytes,
      publishes: opts.publishes,
    };
    worker.send(request);
    let attacking = true;
    const probes = probeHandshakes(server.rtmpPort, () => attacking);
    const { counts } = await reply;
    attacking = false;
    const attackTo = Date.now();
    const handshakes = await probes;
    const cpuAfter = cpuTimes(server.pid);
    const serverLogLines = server.logLines.length - logLinesBefore;

    log(`run ${rep}: after ${opts.afterSeconds} s`);
    await sleep(opts.afterSeconds * 1000);
    clearInterval(sampler);
    const afterFrom = Date.now() - 3000;
    const rssAfter = median(rss.filter(([t]) => t >= afterFrom).map(([, v]) => v));
    const rssPeak = Math.max(...rss.filter(([t]) => t >= attackFrom).map(([, v]) => v));
    await parts.stop();
    const hs = summarize(handshakes.ms);
    const run: AbuseRun = {
      rssIdleMiB: rssIdle,
      rssIdleMaxMiB: rssIdleMax,
      rssPeakMiB: rssPeak,
      rssAfterMiB: rssAfter,
      maxPartGapMs: parts.maxGap(attackFrom - 2000, attackTo + 2000),
      maxPartGapIdleMs: parts.maxGap(attackFrom - opts.idleSeconds * 1000 + 1000, attackFrom),
      playlistHttpMaxMs: Math.round(parts.httpMaxMs),
      handshake: { probes: handshakes.ms.length + handshakes.failed, failed: handshakes.failed, p50Ms: Math.round(hs.p50 * 10) / 10, maxMs: Math.round(hs.max * 10) / 10 },
      serverCpuSeconds: Math.round((cpuAfter.user + cpuAfter.system - cpuBefore.user - cpuBefore.system) * 100) / 100,
      serverLogLines,
      attack: counts,
      publisherStillLive: publisher.exitCode === null && parts.changes.at(-1)! > Date.now() - 2000,
    };
    log(`run ${rep}: rss ${rssIdle} → peak ${rssPeak} → after ${rssAfter} MiB; max part gap ${run.maxPartGapMs} ms; handshake p50 ${run.handshake.p50Ms} ms max ${run.handshake.maxMs} ms (${run.handshake.failed} failed)`);
    return run;
  } finally {
    worker?.kill('SIGKILL');
    await parts?.stop();
    publisher?.kill('SIGKILL');
    await server.stop();
  }
}

export async function runAbuseBench(opts: AbuseBenchOptions): Promise<AbuseBenchResult> {
  const runs: AbuseRun[] = [];
  for (let i = 1; i <= opts.runs; i++) runs.push(await runOnce(opts, i));
  const stat = (f: (r: AbuseRun) => number) => {
    const v = runs.map(f);
    return { median: median(v), min: Math.min(...v), max: Math.max(...v) };
  };
  const { root: _root, log: _log, ...options } = opts;
  return {
    machine: { cpus: os.cpus().length, loadAvg1: os.loadavg()[0] },
    options,
    runs,
    summary: {
      rssIdleMiB: stat((r) => r.rssIdleMiB),
      rssIdleSwingMiB: stat((r) => r.rssIdleMaxMiB - r.rssIdleMiB),
      rssPeakOverIdleMiB: stat((r) => r.rssPeakMiB - r.rssIdleMiB),
      rssAfterOverIdleMiB: stat((r) => r.rssAfterMiB - r.rssIdleMiB),
      maxPartGapMs: stat((r) => r.maxPartGapMs),
      maxPartGapIdleMs: stat((r) => r.maxPartGapIdleMs),
      playlistHttpMaxMs: stat((r) => r.playlistHttpMaxMs),
      handshakeP50Ms: stat((r) => r.handshake.p50Ms),
      handshakeMaxMs: stat((r) => r.handshake.maxMs),
      handshakeFailed: stat((r) => r.handshake.failed),
      serverCpuSeconds: stat((r) => r.serverCpuSeconds),
      serverLogLines: stat((r) => r.serverLogLines),
      attackConnections: stat((r) => Object.values(r.attack).reduce((n, c) => n + c.connections, 0)),
      publishesSent: stat((r) => r.attack['publish-flood'].publishesSent),
      publishStarts: stat((r) => Object.values(r.attack).reduce((n, c) => n + c.publishStarts, 0)),
    },
  };
}

export function formatAbuseResult(r: AbuseBenchResult): string {
  const rows = Object.entries(r.summary).map(([k, s]) => `| ${k} | ${round(s.median)} | ${round(s.min)}–${round(s.max)} |`);
  return [
    `RTMP abuse: ${r.runs.length} runs × ${r.options.attackSeconds} s attack (${r.options.garbageLanes} random-byte + ${r.options.stalledLanes} stalled + ${r.options.floodLanes} publish-flood lanes, ${r.options.addresses} addresses); ${r.machine.cpus} CPUs, load ${r.machine.loadAvg1.toFixed(1)} at the end`,
    '',
    '| figure | median | range |',
    '| --- | --- | --- |',
    ...rows,
  ].join('\n');
}

function round(n: number): string {
  return Number.isFinite(n) ? (Math.abs(n) >= 100 ? Math.round(n).toString() : (Math.round(n * 10) / 10).toString()) : String(n);
}
