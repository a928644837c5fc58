/**
 * Chat fan-out benchmark (issue 4, item 10): N socket.io-client connections in
 * one room, M messages per second sent into it by a few sender clients;
 * delivery latency p50/p99 and messages lost, at increasing N.
 *
 * The real server (`node dist/server/main.js`, one process, no Redis) runs on
 * loopback with the per-address connection limit and the per-connection
 * message limits raised for the bench (a config file, see BENCH_CHAT_CONFIG).
 * The receivers live in forked load-generator processes (bench/chat-load-worker.ts),
 * so the server process is measured on its own; the senders live here. Each
 * message's text carries its step, sequence number and send time
 * (Date.now(), one clock for every process on this machine); a receiver
 * records now − send time, and which sequence numbers it got. A message counts
 * as lost for a receiver when the server acknowledged it and the receiver had
 * not received it when the step's drain time ran out.
 *
 * Two delivery modes are measured: `batch` receivers ask for batched delivery
 * (auth.batch: one `messages` packet per chat.messageBatchMs, ~100 ms), `single`
 * receivers get one `message` packet per message. The cost of a busy room is
 * per packet (a socket write per viewer on the server, mostly kernel time on
 * loopback TCP; a WebSocket frame to parse per viewer), so batching is what
 * lets a 2-core machine carry 5,000 viewers at 100 msg/s.
 *
 * Within a mode, steps reuse the connections: each adds receivers up to the
 * next N. Every step: warm-up (not measured), measuring window, drain. A mode
 * stops early once a step is far past the target. Run it through the runner:
 * `npm run bench -- chat [--steps=…] [--single-steps=…] [--rate=100] …`;
 * results go to bench-results/chat.json.
 */
import { fork } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { io as ioClient, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, SendAck, ServerToClientEvents } from '../chat/chat-events';
import { chatSchema } from '../core/config-schema';
import { LoadWorker } from './bench/chat-load-handle';
import type { WorkerReport } from './bench/chat-load-worker';
import { HISTOGRAM_MS } from './bench/chat-load-worker';
import { LiveroomProcess, sleep } from './bench/liveroom-process';
import { machineBusy } from './bench/proc-cpu';
import { cpuSum, cpuTimes, ensureOpenFiles, rssMb } from './bench/process-resources';

type Client = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface ChatBenchOptions {
  /** Repository root (dist/server/main.js lives under it). */
  root: string;
  /** Receivers at each step, increasing, with batched delivery (auth.batch: `messages` every chat.messageBatchMs). */
  steps: number[];
  /** Receivers at each step with one `message` packet per message (what a client gets without auth.batch). */
  singleSteps: number[];
  /** Messages per second into the room (all senders together). */
  rate: number;
  senders: number;
  /** Load-generator processes holding the receivers. */
  workers: number;
  warmupSeconds: number;
  measureSeconds: number;
  /** After the last send, how long receivers may take to get everything before the rest counts as lost. */
  drainSeconds: number;
  /** p99 target (ms) for the verdict. */
  targetP99Ms: number;
  /** chat.messageBatchMs for the server (the batch interval); its default when unset. */
  batchMs?: number;
  /**
   * Bench a server that is already running (e.g. under `node --cpu-prof`) instead of starting one;
   * it must run with the limits of BENCH_CHAT_CONFIG. Its CPU is then not measured.
   */
  serverUrl?: string;
  /** NODE_OPTIONS for the server process only (e.g. a V8 heap flag to compare). */
  serverNodeOptions?: string;
  log: (line: string) => void;
}

export const DEFAULT_CHAT_BENCH: Omit<ChatBenchOptions, 'root' | 'log'> = {
  steps: [500, 1000, 2500, 3500, 5000],
  singleSteps: [500, 1000, 2500],
  rate: 100,
  senders: 5,
  workers: 2,
  warmupSeconds: 2,
  measureSeconds: 10,
  drainSeconds: 5,
  targetP99Ms: 250,
};

/** The chat slice the bench runs the server with: limits meant for the public raised for one address and a few fast senders. */
export const BENCH_CHAT_CONFIG = {
  // Every client comes from 127.0.0.1.
  connectBurst: 1_000_000,
  connectsPerSecond: 1_000_000,
  maxSocketsPerAddress: 1_000_000,
  messageBurstPerAddress: 100_000,
  messagesPerSecondPerAddress: 100_000,
  // Each sender sends rate/senders per second.
  messageBurst: 1000,
  messagesPerSecond: 1000,
  packetBurst: 10_000,
  packetsPerSecond: 10_000,
  // Newcomers need no history here: the bench measures the fan-out of live messages.
  historyCount: 0,
};

export type DeliveryMode = 'batch' | 'single';

export interface StepResult {
  mode: DeliveryMode;
  receivers: number;
  senders: number;
  /** Messages per second actually sent during the step. */
  rate: number;
  sent: number;
  acked: number;
  /** Sends the server refused (rate limit…) or did not answer within 5 s. */
  refused: number;
  /** Ack round trip of the senders (ms): the store-then-broadcast path as the sender sees it. */
  ackMs: Percentiles;
  /** Delivery latency over the measuring window, every receiver × message. */
  latencyMs: Percentiles & { samples: number };
  /** (receiver, message) pairs never delivered within the drain time. */
  lost: number;
  /** Deliveries expected: receivers × acknowledged messages. */
  expectedDeliveries: number;
  duplicates: number;
  disconnected: number;
  drainedMs: number;
  /** Share of one core over the step (…System: the part spent in the kernel, mostly loopback TCP). */
  cpu: {
    server: number;
    serverSystem: number;
    loadGenerators: number;
    loadGeneratorsSystem: number;
    senders: number;
    otherProcesses: number;
    machineBusy: number;
  };
  /** CPU time per delivered message (µs): what one more receiver × message costs. */
  cpuPerDeliveryUs: { server: number; loadGenerators: number };
  loadGeneratorLoopDelayP99Ms: number;
  serverRssMb: number | null;
  pass: boolean;
}

export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface ChatBenchResult {
  bench: 'chat';
  startedAt: string;
  machine: { cpus: number; model: string; node: string; openFilesLimit: number | null };
  options: Omit<ChatBenchOptions, 'root' | 'log'>;
  serverChatConfig: typeof BENCH_CHAT_CONFIG & { messageBatchMs?: number };
  steps: StepResult[];
  /** Per delivery mode: the largest N meeting the target (p99 ≤ targetP99Ms, nothing lost) and the first N that did not. */
  verdict: Record<DeliveryMode, { largestPassing: number | null; firstFailing: number | null }>;
  durationSeconds: number;
}

function percentiles(histogram: ArrayLike<number>): Percentiles & { samples: number } {
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
  return { p50: at(50), p90: at(90), p99: at(99), max, samples };
}

function sortedPercentiles(values: number[]): Percentiles {
  const s = [...values].sort((a, b) => a - b);
  const at = (p: number) => (s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : NaN);
  return { p50: at(50), p90: at(90), p99: at(99), max: s.length ? s[s.length - 1] : NaN };
}

/** After what the receivers need (step, seq, send time): the rest of a typical chat line, ~45 characters in all. */
const FILLER = 'what a play, gg everyone';

export async function runChatBench(input: Partial<ChatBenchOptions> & Pick<ChatBenchOptions, 'root' | 'log'>): Promise<ChatBenchResult> {
  const opts: ChatBenchOptions = { ...DEFAULT_CHAT_BENCH, ...input };
  const { log } = opts;
  const steps = [...opts.steps].sort((a, b) => a - b);
  const singleSteps = [...opts.singleSteps].sort((a, b) => a - b);
  if (!steps.length && !singleSteps.length) throw new Error('nothing to run: --steps and --single-steps are both empty');
  if ([...steps, ...singleSteps].some((n) => !(n >= 1 && Number.isInteger(n)))) throw new Error('--steps and --single-steps list receiver counts (whole numbers ≥ 1)');
  if (!(opts.rate > 0) || !(opts.senders >= 1) || !(opts.workers >= 1)) throw new Error('--rate, --senders and --workers must be positive');
  const began = Date.now();
  const maxN = Math.max(...steps, ...singleSteps);
  const openFiles = ensureOpenFiles(maxN + opts.senders + 500, log);

  const configFile = path.join(os.tmpdir(), `liveroom-bench-chat-${crypto.randomBytes(4).toString('hex')}.json`);
  const chatConfig = { ...BENCH_CHAT_CONFIG, ...(opts.batchMs !== undefined && { messageBatchMs: opts.batchMs }) };
  fs.writeFileSync(configFile, JSON.stringify({ chat: chatConfig }));
  const server = new LiveroomProcess({ root: opts.root, logLevel: 'warn', env: { LIVEROOM_CONFIG: configFile, ...(opts.serverNodeOptions ? { NODE_OPTIONS: opts.serverNodeOptions } : {}) } });
  const workers: LoadWorker[] = [];
  const senders: Client[] = [];
  const onExit = () => {
    server.killAndCleanSync();
    for (const w of workers) w.proc.kill('SIGKILL');
  };
  process.once('exit', onExit);
  const results: StepResult[] = [];
  let stepId = 0;

  /** Brings the receivers up to n (split between the load generators), sends for a step, collects the reports. */
  async function runStep(url: string, mode: DeliveryMode, n: number): Promise<StepResult> {
    const id = stepId++;
    const t0 = Date.now();
    const replies = await Promise.all(
      workers.map((w, i) => {
        const share = Math.floor(n / workers.length) + (i < n % workers.length ? 1 : 0);
        return w.request({ type: 'connect', url, channel: 'live', total: share, concurrency: 50, batch: mode === 'batch' }, 120_000);
      }),
    );
    let connected = 0;
    for (const r of replies) {
      if (r.type !== 'connected') throw new Error('unexpected reply from a load generator');
      connected += r.total;
      if (r.failed) log(`${r.failed} connections refused: ${r.errors.join('; ')}`);
    }
    log(`${mode} N=${n}: ${connected} receivers connected in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    await sleep(1000); // let the joins' welcomes and viewer counts settle

    const total = Math.round(opts.rate * (opts.warmupSeconds + opts.measureSeconds));
    const warmupSeq = Math.round(opts.rate * opts.warmupSeconds);
    for (const w of workers) w.tell({ type: 'begin', step: id, maxSeq: total, warmupSeq });
    await sleep(100);

    const serverPid = opts.serverUrl ? undefined : server.pid;
    const workerPids = workers.map((w) => w.proc.pid);
    const server0 = cpuTimes(serverPid);
    const load0 = cpuSum(workerPids);
    const self0 = process.cpuUsage();
    const cpus0 = os.cpus();
    const wall0 = Date.now();

    // Send `total` messages at `rate`, round-robin over the senders, on a 5 ms tick.
    const acked: number[] = [];
    const ackMs: number[] = [];
    let refused = 0;
    let answered = 0;
    let seq = 0;
    const start = Date.now();
    await new Promise<void>((resolve) => {
      const tick = setInterval(() => {
        const due = Math.min(total, Math.floor(((Date.now() - start) / 1000) * opts.rate) + 1);
        while (seq < due) {
          const mySeq = seq++;
          const sentAt = Date.now();
          senders[mySeq % senders.length]
            .timeout(5000)
            .emit('send', { text: `b${id} ${mySeq} ${sentAt} ${FILLER}` }, (err: Error | null, ack: SendAck) => {
              answered++;
              if (!err && ack.ok) {
                acked.push(mySeq);
                ackMs.push(Date.now() - sentAt);
              } else refused++;
              if (answered === total) resolve();
            });
        }
        if (seq >= total) clearInterval(tick);
      }, 5);
    });
    const sendSeconds = (Date.now() - start) / 1000;

    const reports = await Promise.all(
      workers.map((w) => w.request({ type: 'end', step: id, acked, drainMs: opts.drainSeconds * 1000 }, opts.drainSeconds * 1000 + 60_000)),
    );
    const wall = (Date.now() - wall0) / 1000;
    const server1 = cpuTimes(serverPid);
    const load1 = cpuSum(workerPids);
    const self = process.cpuUsage(self0);
    const busy = machineBusy(cpus0, os.cpus());

    const histogram = new Array<number>(HISTOGRAM_MS + 1).fill(0);
    let lost = 0;
    let duplicates = 0;
    let disconnected = 0;
    let receivers = 0;
    let drainedMs = 0;
    let loopP99 = 0;
    for (const reply of reports) {
      if (reply.type !== 'report') throw new Error('unexpected reply from a load generator');
      const r: WorkerReport = reply.report;
      r.histogram.forEach((c, i) => (histogram[i] += c));
      lost += r.lost;
      duplicates += r.duplicates;
      disconnected += r.disconnected;
      receivers += r.receivers;
      drainedMs = Math.max(drainedMs, r.drainedMs);
      loopP99 = Math.max(loopP99, r.loopDelayP99Ms);
    }
    const serverCpu = { user: server1.user - server0.user, system: server1.system - server0.system };
    const loadCpu = { user: load1.user - load0.user, system: load1.system - load0.system };
    const selfCpu = (self.user + self.system) / 1e6;
    const deliveries = receivers * acked.length - lost;
    const latency = percentiles(histogram);
    const result: StepResult = {
      mode,
      receivers,
      senders: senders.length,
      rate: Math.round((total / sendSeconds) * 10) / 10,
      sent: total,
      acked: acked.length,
      refused,
      ackMs: sortedPercentiles(ackMs),
      latencyMs: latency,
      lost,
      expectedDeliveries: receivers * acked.length,
      duplicates,
      disconnected,
      drainedMs,
      cpu: {
        server: round2((serverCpu.user + serverCpu.system) / wall),
        serverSystem: round2(serverCpu.system / wall),
        loadGenerators: round2((loadCpu.user + loadCpu.system) / wall),
        loadGeneratorsSystem: round2(loadCpu.system / wall),
        senders: round2(selfCpu / wall),
        otherProcesses: round2(Math.max(0, busy * os.cpus().length - (serverCpu.user + serverCpu.system + loadCpu.user + loadCpu.system + selfCpu) / wall)),
        machineBusy: round2(busy),
      },
      cpuPerDeliveryUs: {
        server: deliveries && serverPid !== undefined ? round2(((serverCpu.user + serverCpu.system) * 1e6) / deliveries) : NaN,
        loadGenerators: deliveries ? round2(((loadCpu.user + loadCpu.system) * 1e6) / deliveries) : NaN,
      },
      loadGeneratorLoopDelayP99Ms: Math.round(loopP99),
      serverRssMb: rssMb(serverPid),
      pass: lost === 0 && refused === 0 && disconnected === 0 && receivers === n && latency.p99 <= opts.targetP99Ms,
    };
    log(
      `${mode} N=${receivers}: p50 ${latency.p50} ms, p99 ${latency.p99} ms, max ${latency.max} ms, lost ${lost}/${result.expectedDeliveries}; ` +
        `cpu: server ${Math.round(result.cpu.server * 100)}% (${result.cpuPerDeliveryUs.server} µs/delivery), load generators ${Math.round(result.cpu.loadGenerators * 100)}% ` +
        `(${result.cpuPerDeliveryUs.loadGenerators} µs), other processes ${Math.round(result.cpu.otherProcesses * 100)}% → ${result.pass ? 'pass' : 'MISS'}`,
    );
    return result;
  }

  try {
    if (!opts.serverUrl) {
      log('starting the server');
      await server.start();
    }
    const url = opts.serverUrl ?? server.httpOrigin;
    const workerFile = path.join(__dirname, 'bench', 'chat-load-worker.js');
    if (!fs.existsSync(workerFile)) throw new Error(`${workerFile} is missing: run \`npm run build\` first`);
    for (let i = 0; i < opts.workers; i++) {
      workers.push(new LoadWorker(fork(workerFile, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })));
    }
    for (let i = 0; i < opts.senders; i++) {
      const socket: Client = ioClient(url, {
        path: '/socket.io',
        transports: ['websocket'],
        forceNew: true,
        reconnection: false,
        auth: { channel: 'live', identity: crypto.randomBytes(16).toString('base64url'), name: `sender${i}` },
      });
      await new Promise<void>((resolve, reject) => {
        socket.once('welcome', () => resolve());
        socket.once('connect_error', (err) => reject(new Error(`sender refused: ${err.message}`)));
      });
      senders.push(socket);
    }

    const runs: Array<[DeliveryMode, number[]]> = [
      ['batch', steps],
      ['single', singleSteps],
    ];
    for (const [mode, list] of runs) {
      if (!list.length) continue;
      // Fresh receivers for each delivery mode.
      await Promise.all(workers.map((w) => w.request({ type: 'reset' }, 30_000)));
      for (const n of list) {
        const result = await runStep(url, mode, n);
        results.push(result);
        if (result.receivers < n || result.disconnected > result.receivers / 2) {
          log('too many receivers missing: stopping this mode here');
          break;
        }
        // Past the target by far: larger N only takes longer to say the same.
        if (result.latencyMs.p99 > opts.targetP99Ms * 8 || result.lost > result.expectedDeliveries / 10) {
          log(`${mode}: far past the target; skipping larger N`);
          break;
        }
      }
    }
  } finally {
    for (const s of senders) s.close();
    await Promise.all(workers.map((w) => w.stop()));
    if (!opts.serverUrl) await server.stop();
    process.removeListener('exit', onExit);
    fs.rmSync(configFile, { force: true });
  }
  const verdict = (mode: DeliveryMode) => {
    const mine = results.filter((r) => r.mode === mode);
    const firstFailing = mine.find((r) => !r.pass)?.receivers ?? null;
    const passing = mine.filter((r) => r.pass && (firstFailing === null || r.receivers < firstFailing));
    return { largestPassing: passing.length ? passing[passing.length - 1].receivers : null, firstFailing };
  };
  return {
    bench: 'chat',
    startedAt: new Date(began).toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? 'unknown', node: process.version, openFilesLimit: openFiles },
    options: {
      steps,
      singleSteps,
      rate: opts.rate,
      senders: opts.senders,
      workers: opts.workers,
      warmupSeconds: opts.warmupSeconds,
      measureSeconds: opts.measureSeconds,
      drainSeconds: opts.drainSeconds,
      targetP99Ms: opts.targetP99Ms,
      batchMs: chatConfig.messageBatchMs ?? chatSchema.parse({}).messageBatchMs,
      ...(opts.serverUrl && { serverUrl: opts.serverUrl }),
    },
    serverChatConfig: chatConfig,
    steps: results,
    verdict: { batch: verdict('batch'), single: verdict('single') },
    durationSeconds: Math.round((Date.now() - began) / 1000),
  };
}

const round2 = (x: number) => Math.round(x * 100) / 100;

export function formatChatResult(r: ChatBenchResult): string {
  const o = r.options;
  const pct = (x: number) => `${Math.round(x * 100)}%`;
  const lines = [
    `chat fan-out: ${o.rate} msg/s from ${o.senders} senders into one room; receivers in ${o.workers} load-generator processes beside the server; ` +
      `${o.measureSeconds} s measured per step (${r.machine.cpus} × ${r.machine.model})`,
    `delivery: batch = \`messages\` packets (auth.batch) at most every ${o.batchMs} ms (chat.messageBatchMs), single = one \`message\` packet per message`,
    '',
    '  delivery  receivers   p50 ms   p99 ms   max ms   lost (of)          cpu server   cpu load-gen   cpu others   verdict',
  ];
  for (const s of r.steps) {
    lines.push(
      `  ${s.mode.padEnd(8)}  ${String(s.receivers).padStart(9)}   ${String(s.latencyMs.p50).padStart(6)}   ${String(s.latencyMs.p99).padStart(6)}   ${String(s.latencyMs.max).padStart(6)}   ` +
        `${`${s.lost} (${s.expectedDeliveries})`.padEnd(17)}  ${pct(s.cpu.server).padStart(10)}   ${pct(s.cpu.loadGenerators).padStart(12)}   ${pct(s.cpu.otherProcesses).padStart(10)}   ${s.pass ? 'pass' : 'MISS'}`,
    );
  }
  lines.push('', `target: p99 ≤ ${o.targetP99Ms} ms and none lost`);
  for (const [mode, v] of Object.entries(r.verdict)) {
    if (!r.steps.some((s) => s.mode === mode)) continue;
    lines.push(`  ${mode}: largest passing N = ${v.largestPassing ?? 'none'}${v.firstFailing !== null ? `, first miss at N = ${v.firstFailing}` : ''}`);
  }
  if (r.steps.some((s) => s.cpu.otherProcesses > 0.2)) lines.push('  (other processes used the CPU during some steps: those figures are pessimistic)');
  return lines.join('\n');
}

/** Options from the bench runner's --key=value flags. */
export function chatBenchFlags(flags: Record<string, string>): Partial<ChatBenchOptions> {
  const num = (key: string): number | undefined => {
    if (flags[key] === undefined) return undefined;
    const n = Number(flags[key]);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${key} must be a non-negative number, got "${flags[key]}"`);
    return n;
  };
  const out: Partial<ChatBenchOptions> = {};
  if (flags.url !== undefined) out.serverUrl = flags.url;
  if (flags['server-node-options'] !== undefined) out.serverNodeOptions = flags['server-node-options'];
  const list = (v: string) => (v.trim() === '' ? [] : v.split(',').map((x) => Number(x.trim())));
  if (flags.steps !== undefined) out.steps = list(flags.steps);
  if (flags['single-steps'] !== undefined) out.singleSteps = list(flags['single-steps']);
  const map: Array<[string, keyof ChatBenchOptions]> = [
    ['rate', 'rate'],
    ['senders', 'senders'],
    ['workers', 'workers'],
    ['warmup', 'warmupSeconds'],
    ['measure', 'measureSeconds'],
    ['drain', 'drainSeconds'],
    ['target-p99', 'targetP99Ms'],
    ['batch-ms', 'batchMs'],
  ];
  for (const [flag, key] of map) {
    const v = num(flag);
    if (v !== undefined) (out as Record<string, number>)[key] = v;
  }
  return out;
}
