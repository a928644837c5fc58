/**
 * `npm run bench -- cluster [--parts=100] [--viewers=100] [--seconds=15]`: HLS
 * from a node that does not ingest the channel (issue 11, item 2), proxied or
 * redirected. Three server processes and one redis-server on this machine:
 * node A ingests a live passthrough stream (a real ffmpeg publishing), node B
 * proxies A's HLS ('cluster.hlsMode' proxy), node C redirects to A (302).
 *
 * 1. Latency: for each of `parts` parts in a row, three viewers ask at the
 *    same moment, before the part exists, with a blocking reload for it, then
 *    fetch it: one straight on A, one through B, one through C following the
 *    302 on every request (a player that does not rebase its URLs on the
 *    redirect's target; one that does talks to A alone after the first one).
 *    Extra latency = arrival through B (or C) minus arrival straight on A.
 * 2. CPU: `viewers` light viewers (blocking reload + part, keep-alive) for
 *    `seconds`, straight on A, then through B, then through C: each node's CPU
 *    and B's cost per proxied request.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { freePort, LiveroomProcess, sleep } from './bench/liveroom-process';
import { startTestsrcPublisher } from './bench/testsrc-publisher';
import { epochMs, readPlaylist } from './bench/ll-hls-viewer';
import { cpuTimes } from './bench/process-resources';
import { percentile } from './bench/stats';

export interface ClusterBenchOptions {
  root: string;
  parts: number;
  viewers: number;
  seconds: number;
  log: (line: string) => void;
}

interface Lag {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface ClusterLoadStep {
  via: 'A direct' | 'B proxy' | 'C redirect';
  viewers: number;
  requests: number;
  errors: number;
  /** Share of one core over the window. */
  cpuA: number;
  cpuB: number;
  cpuC: number;
  /** The node in front's CPU per request it answered, µs. */
  frontUsPerRequest: number | null;
}

export interface ClusterBenchResult {
  machine: { cpus: number; model: string; loadAvg1: number };
  options: Omit<ClusterBenchOptions, 'root' | 'log'>;
  partsMeasured: number;
  /** Part arrival through the node minus straight on A, ms. */
  extraLatencyMs: { proxy: Lag; redirect: Lag };
  /** Arrival straight on A after the request was sent (the blocking wait included), ms: the scale. */
  directWaitMs: Lag;
  load: ClusterLoadStep[];
}

const sorted = (v: number[]) => [...v].sort((a, b) => a - b);
const lag = (values: number[]): Lag => {
  const s = sorted(values);
  return { p50: percentile(s, 50), p95: percentile(s, 95), p99: percentile(s, 99), max: s.at(-1) ?? NaN };
};
const cpu = (pid: number | undefined) => {
  const t = cpuTimes(pid);
  return t.user + t.system;
};

/** A GET that follows redirects (counting each hop as a request); resolves with the final URL and body. */
function get(url: string, agent: http.Agent, count: { requests: number }): Promise<{ status: number; body: Buffer; url: string }> {
  return new Promise((resolve, reject) => {
    count.requests++;
    const req = http.get(url, { agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const location = res.headers.location;
        if (res.statusCode === 302 && location) return void get(new URL(location, url).href, agent, count).then(resolve, reject);
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), url });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(20_000, () => req.destroy(new Error('timeout')));
  });
}

/** A blocking reload for (msn, part) on `playlist`, then that part: when its bytes had fully arrived (epoch ms). */
async function fetchPart(playlist: string, msn: number, part: number, agent: http.Agent, count: { requests: number }): Promise<number> {
  const pl = await get(`${playlist}?_HLS_msn=${msn}&_HLS_part=${part}`, agent, count);
  if (pl.status !== 200) throw new Error(`${playlist}: ${pl.status}`);
  const { parts } = readPlaylist(pl.body.toString('utf8'));
  const uri = parts.at(-1)!;
  // Resolved against the playlist URL as asked (not the redirect's target): every request goes through the node.
  const r = await get(new URL(uri, playlist).href, agent, count);
  if (r.status !== 200) throw new Error(`${uri}: ${r.status}`);
  return epochMs();
}

/** A light viewer loop (blocking reload for the next part, then the part) until `stop` is set. */
async function viewerLoop(playlist: string, agent: http.Agent, count: { requests: number; errors: number }, stop: { done: boolean }) {
  let query = '';
  while (!stop.done) {
    try {
      const pl = await get(playlist + query, agent, count);
      if (pl.status !== 200) throw new Error(String(pl.status));
      const { parts, nextMsn, nextPart } = readPlaylist(pl.body.toString('utf8'));
      const uri = parts.at(-1);
      if (uri && query) await get(new URL(uri, playlist).href, agent, count);
      query = `?_HLS_msn=${nextMsn}&_HLS_part=${nextPart}`;
    } catch {
      count.errors++;
      query = '';
      await sleep(200);
    }
  }
}

export async function runClusterBench(opts: ClusterBenchOptions): Promise<ClusterBenchResult> {
  const { log } = opts;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'liveroom-bench-cluster-'));
  const redisPort = await freePort();
  const redisBin = fs.existsSync('/usr/bin/redis-server') ? '/usr/bin/redis-server' : 'redis-server';
  const redis: ChildProcess = spawn(redisBin, ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const nodes: LiveroomProcess[] = [];
  let publisher: ChildProcess | undefined;
  try {
    await sleep(300);
    const startNode = async (id: string, mode: 'proxy' | 'redirect', streamKey?: string) => {
      const port = await freePort();
      const config = path.join(tmp, `${id}.json`);
      // The bench measures the path, not the per-address limits (every viewer here is 127.0.0.1).
      fs.writeFileSync(config, JSON.stringify({ http: { maxHeldRequestsPerAddress: 100_000 }, cluster: { hlsMode: mode } }));
      const node = new LiveroomProcess({
        root: opts.root,
        httpPort: port,
        env: {
          LIVEROOM_REDIS_URL: `redis://127.0.0.1:${redisPort}`,
          LIVEROOM_NODE_URL: `http://127.0.0.1:${port}`,
          LIVEROOM_NODE_ID: id,
          LIVEROOM_PROFILE: 'passthrough',
          LIVEROOM_CONFIG: config,
          ...(streamKey && { LIVEROOM_STREAM_KEY: streamKey }),
        },
      });
      nodes.push(node);
      await node.start();
      return node;
    };
    const a = await startNode('a', 'proxy');
    const b = await startNode('b', 'proxy', a.streamKey);
    const c = await startNode('c', 'redirect', a.streamKey);
    publisher = startTestsrcPublisher(a.rtmpUrl());
    log('publishing into node A; waiting for its playlist');
    const master = `${a.httpOrigin}/hls/live/master.m3u8`;
    let mediaPath = '';
    for (const end = Date.now() + 60_000; !mediaPath && Date.now() < end; await sleep(250)) {
      const r = await fetch(master).catch(() => undefined);
      if (r?.status !== 200) continue;
      const lines = (await r.text()).trim().split('\n');
      const i = lines.findIndex((l) => l.startsWith('#EXT-X-STREAM-INF:'));
      if (i >= 0) mediaPath = new URL(lines[i + 1], master).pathname;
    }
    if (!mediaPath) throw new Error(`node A did not go live in 60 s:\n${a.logLines.slice(-20).join('\n')}`);
    await sleep(4000); // a few segments, and B and C have seen A's claim
    const urls = { a: a.httpOrigin + mediaPath, b: b.httpOrigin + mediaPath, c: c.httpOrigin + mediaPath };

    // 1. Latency, part by part.
    const agents = { a: new http.Agent({ keepAlive: true }), b: new http.Agent({ keepAlive: true }), c: new http.Agent({ keepAlive: true }) };
    const none = { requests: 0 };
    const proxyExtra: number[] = [];
    const redirectExtra: number[] = [];
    const directWait: number[] = [];
    log(`latency: ${opts.parts} parts, asked at once straight on A, through B (proxy), through C (redirect)`);
    let next = readPlaylist((await get(urls.a, agents.a, none)).body.toString('utf8'));
    for (let i = 0; i < opts.parts; i++) {
      const { nextMsn, nextPart } = next;
      const t0 = epochMs();
      const [ta, tb, tc] = await Promise.all([
        fetchPart(urls.a, nextMsn, nextPart, agents.a, none),
        fetchPart(urls.b, nextMsn, nextPart, agents.b, none),
        fetchPart(urls.c, nextMsn, nextPart, agents.c, none),
      ]);
      directWait.push(ta - t0);
      proxyExtra.push(tb - ta);
      redirectExtra.push(tc - ta);
      next = readPlaylist((await get(`${urls.a}?_HLS_msn=${nextMsn}&_HLS_part=${nextPart}`, agents.a, none)).body.toString('utf8'));
    }
    for (const ag of Object.values(agents)) ag.destroy();

    // 2. CPU under load.
    const load: ClusterLoadStep[] = [];
    for (const [via, url, front] of [['A direct', urls.a, a], ['B proxy', urls.b, b], ['C redirect', urls.c, c]] as const) {
      log(`load: ${opts.viewers} viewers for ${opts.seconds} s, ${via}`);
      const agent = new http.Agent({ keepAlive: true, maxSockets: opts.viewers * 2 });
      const stop = { done: false };
      const warm = { requests: 0, errors: 0 };
      const loops = Array.from({ length: opts.viewers }, () => viewerLoop(url, agent, warm, stop));
      await sleep(3000);
      const count = { requests: warm.requests, errors: warm.errors };
      const before = { a: cpu(a.pid), b: cpu(b.pid), c: cpu(c.pid), at: Date.now() };
      await sleep(opts.seconds * 1000);
      const after = { a: cpu(a.pid), b: cpu(b.pid), c: cpu(c.pid), at: Date.now() };
      const requests = warm.requests - count.requests;
      const errors = warm.errors - count.errors;
      stop.done = true;
      await Promise.all(loops);
      agent.destroy();
      for (const n of [a, b, c]) {
        if (n.pid === undefined || !fs.existsSync(`/proc/${n.pid}`)) throw new Error(`a node exited during the ${via} step:\n${n.logLines.slice(-20).join('\n')}`);
      }
      const span = (after.at - before.at) / 1000;
      const frontCpu = front === a ? after.a - before.a : front === b ? after.b - before.b : after.c - before.c;
      // Through C each viewer request is two: the 302 from C, then A's answer.
      const frontRequests = front === c ? requests / 2 : requests;
      load.push({
        via,
        viewers: opts.viewers,
        requests,
        errors,
        cpuA: (after.a - before.a) / span,
        cpuB: (after.b - before.b) / span,
        cpuC: (after.c - before.c) / span,
        frontUsPerRequest: frontRequests > 0 ? (frontCpu / frontRequests) * 1e6 : null,
      });
    }
    return {
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? '', loadAvg1: os.loadavg()[0] },
      options: { parts: opts.parts, viewers: opts.viewers, seconds: opts.seconds },
      partsMeasured: proxyExtra.length,
      extraLatencyMs: { proxy: lag(proxyExtra), redirect: lag(redirectExtra) },
      directWaitMs: lag(directWait),
      load,
    };
  } finally {
    publisher?.kill('SIGKILL');
    for (const n of nodes) await n.stop();
    redis.kill('SIGKILL');
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

const ms = (v: number) => `${v.toFixed(1)} ms`;
const pct = (v: number) => `${Math.round(v * 100)}%`;

export function formatClusterResult(r: ClusterBenchResult): string {
  const lines = [
    `machine: ${r.machine.cpus} × ${r.machine.model}, load ${r.machine.loadAvg1.toFixed(2)}`,
    `extra latency per part over loopback, ${r.partsMeasured} parts (a blocking reload asked before the part existed, then the part; straight on A waited p50 ${ms(r.directWaitMs.p50)}):`,
    '| via | p50 | p95 | p99 | max |',
    '| --- | --- | --- | --- | --- |',
    ...(['proxy', 'redirect'] as const).map((k) => {
      const l = r.extraLatencyMs[k];
      return `| ${k === 'proxy' ? 'B (proxy)' : 'C (302 on every request)'} | ${ms(l.p50)} | ${ms(l.p95)} | ${ms(l.p99)} | ${ms(l.max)} |`;
    }),
    '',
    `CPU with ${r.options.viewers} viewers for ${r.options.seconds} s (share of one core):`,
    '| via | requests/s | errors | A | B | C | front node µs per request |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...r.load.map(
      (s) =>
        `| ${s.via} | ${Math.round(s.requests / r.options.seconds)} | ${s.errors} | ${pct(s.cpuA)} | ${pct(s.cpuB)} | ${pct(s.cpuC)} | ${s.frontUsPerRequest === null ? '–' : Math.round(s.frontUsPerRequest)} |`,
    ),
  ];
  return lines.join('\n');
}
