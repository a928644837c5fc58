/**
 * Chat fan-out benchmark (issue 4 item 10, issue 11 item 3): N receivers in
 * one room, M messages per second sent into it by a few sender clients; the
 * server's own CPU per delivered message and per connected client, delivery
 * latency p50/p95/p99 and messages lost, at increasing N.
 *
 * The real server (`node dist/server/main.js`, one process, no Redis) runs on
 * loopback with the per-address connection limit and the per-connection
 * message limits raised for the bench (a config file, see BENCH_CHAT_CONFIG).
 * The receivers live in forked load-generator processes, so the server process
 * is measured on its own (its CPU from /proc/<pid>/stat); the senders
 * (socket.io-client) live here. Each message's text carries its step,
 * sequence number and send time (Date.now(), one clock for every process on
 * this machine).
 *
 * Generators (`--client`): `raw` (default, bench/chat-raw-worker.ts) speaks the
 * Socket.IO wire protocol over a bare WebSocket; most receivers only count the
 * messages in each frame, 1 in `--sample-every` checks every message (loss,
 * duplicates, latency); connections come from `--addresses` loopback source
 * addresses (127.0.0.x). `socketio` (bench/chat-load-worker.ts) is
 * socket.io-client, every receiver checking everything: four to five times
 * the generator's CPU per delivery.
 *
 * Every step: receivers added up to the next N, an idle window (no messages:
 * the server's cost per connected client), warm-up (not measured), measuring
 * window, drain. A message counts as lost for a receiver when the server
 * acknowledged it and the receiver had not received it when the drain ran out.
 *
 * `--runs=R` repeats everything R times on a fresh server; `--variants=a:{json};b:{json}`
 * runs each server chat config (merged over BENCH_CHAT_CONFIG) once per run,
 * alternating a, b, a, b…, so that a comparison shares the machine's state;
 * `name@/path/to/root:{json}` runs that variant's server from another build
 * (e.g. main's, exported and built in a temporary folder) for a before/after.
 * The summary gives medians over the runs and the spread (min–max).
 *
 * `npm run bench -- chat [--steps=1000,2500,5000,10000] [--runs=3] [--variants=…] …`;
 * results go to bench-results/chat.json. Needs about N + 500 open files per
 * process (`ulimit -n`); the bench raises the soft limit to the hard one itself.
 */
import { fork } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { io as ioClient, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, SendAck, ServerToClientEvents } from '../chat/chat-events';
import { batchIntervalMs } from '../chat/chat-server';
import { chatSchema } from '../core/config-schema';
import { LoadWorker } from './bench/chat-load-handle';
import type { WorkerReport } from './bench/chat-load-worker';
import { HISTOGRAM_MS } from './bench/chat-load-worker';
import { LiveroomProcess, sleep } from './bench/liveroom-process';
import { machineBusy } from './bench/proc-cpu';
import { cpuSecondsPrecise, cpuSum, cpuTimes, ensureOpenFiles, rssMb } from './bench/process-resources';
import { median } from './bench/stats';

type Client = Socket<ServerToClientEvents, ClientToServerEvents>;

export type GeneratorKind = 'raw' | 'socketio';

export interface ServerVariant {
  name: string;
  /** Another build's repository root to run the server from (e.g. main's, for a before/after); this one's when unset. */
  root?: string;
  /** Chat settings merged over BENCH_CHAT_CONFIG for this variant's server. */
  chat: Record<string, unknown>;
}

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
  client: GeneratorKind;
  /** Raw generator: 1 in this many receivers checks every message (the others count). */
  sampleEvery: number;
  /** Raw generator: loopback source addresses (127.0.0.1, .2, …) the connections are spread over. */
  addresses: number;
  /** Server CPU with the receivers connected and no messages, before each step's messages. */
  idleSeconds: number;
  warmupSeconds: number;
  measureSeconds: number;
  /** After the last send, how long receivers may take to get everything before the rest counts as lost. */
  drainSeconds: number;
  /** p99 target (ms) for the verdict. */
  targetP99Ms: number;
  /** A mode stops once a step's p99 passes this (ms) or a tenth of the deliveries are lost: larger N would say the same, slower. */
  skipAfterP99Ms: number;
  /** chat.messageBatchMs for the server (the batch interval); its default when unset. */
  batchMs?: number;
  /** Whole repetitions (fresh server each). */
  runs: number;
  /** Server chat configs to compare, alternating within each run; one unnamed variant when empty. */
  variants: ServerVariant[];
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
  steps: [1000, 2500, 5000, 10000],
  singleSteps: [],
  rate: 100,
  senders: 5,
  workers: 2,
  client: 'raw',
  sampleEvery: 50,
  addresses: 16,
  idleSeconds: 5,
  warmupSeconds: 2,
  measureSeconds: 10,
  drainSeconds: 5,
  targetP99Ms: 250,
  skipAfterP99Ms: 2000,
  runs: 1,
  variants: [],
};

/** The chat slice the bench runs the server with: limits meant for the public raised for a few addresses and fast senders. */
export const BENCH_CHAT_CONFIG = {
  // Every client comes from loopback.
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
  run: number;
  variant: string;
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
  /** Delivery latency over the measuring window, every checked receiver × message. */
  latencyMs: Percentiles & { samples: number };
  /** (receiver, message) pairs never delivered within the drain time. */
  lost: number;
  /** Deliveries expected: receivers × acknowledged messages. */
  expectedDeliveries: number;
  duplicates: number;
  disconnected: number;
  drainedMs: number;
  /** Frames with events the receivers got while messages flowed (raw generator), and messages per frame. */
  frames: number | null;
  messagesPerFrame: number | null;
  /** Share of one core over the message window (…System: the part spent in the kernel, mostly loopback TCP). */
  cpu: {
    server: number;
    serverSystem: number;
    loadGenerators: number;
    loadGeneratorsSystem: number;
    senders: number;
    otherProcesses: number;
    machineBusy: number;
  };
  /** Server CPU with the receivers connected and no messages: share of a core, and µs per connected client per second. */
  idle: { server: number; serverUsPerClientSecond: number; seconds: number };
  /**
   * CPU time per delivered message (µs): `server` is everything the server spent over the message window divided by
   * the deliveries; `serverNet` takes off what it spends idle with as many clients.
   */
  cpuPerDeliveryUs: { server: number; serverNet: number; loadGenerators: number };
  /** Server CPU per connected client per second while the messages flow (µs). */
  serverUsPerClientSecond: number;
  loadGeneratorLoopDelayP99Ms: number;
  serverRssMb: number | null;
  pass: boolean;
}

export interface Percentiles {
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

/** One (variant, mode, receivers) over the runs: medians and spreads. */
export interface StepSummary {
  variant: string;
  mode: DeliveryMode;
  receivers: number;
  /** Runs measured, and runs left out because receivers were dropped during the step. */
  runs: number;
  dropped: number;
  p50: Spread;
  p95: Spread;
  p99: Spread;
  /** Lost deliveries, summed over the runs. */
  lost: number;
  serverUsPerDelivery: Spread;
  serverNetUsPerDelivery: Spread;
  idleUsPerClientSecond: Spread;
  serverUsPerClientSecond: Spread;
  serverCore: Spread;
  loadGeneratorsCore: Spread;
  otherCore: Spread;
  messagesPerFrame: Spread;
  /** Receivers one core would carry at this rate, from this step's server CPU (N / share of a core). */
  projectedPerCore: Spread;
  /** Every run met the target. */
  pass: boolean;
}

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export interface ChatBenchResult {
  bench: 'chat';
  startedAt: string;
  machine: { cpus: number; model: string; node: string; openFilesLimit: number | null; loadAverageAtStart: number[] };
  options: Omit<ChatBenchOptions, 'root' | 'log'>;
  serverChatConfig: typeof BENCH_CHAT_CONFIG & { messageBatchMs?: number };
  steps: StepResult[];
  summary: StepSummary[];
  /**
   * Per variant and delivery mode: the largest N whose median p99 met the target with nothing lost, the first N that
   * did not, and the receivers per core projected from the server's CPU at the largest passing N.
   */
  verdict: Record<string, { largestPassing: number | null; firstFailing: number | null; projectedPerCore: number | null }>;
  /**
   * Per variant, a least-squares fit over every step of the server's CPU over the message window, net of idle:
   * µs per socket write (WebSocket frame sent, counted by the raw generator) and µs per message delivered. It holds
   * when the machine is loaded and the server falls behind (its batches then grow, so per-delivery figures drop).
   * `projected`: receivers one core carries at the bench rate with the variant's nominal batch interval at each N
   * (1e6 / (rate × perMessage + writes per second × perWrite + idle µs per client-second)).
   */
  costModel: Record<string, { usPerWrite: number; usPerMessage: number; steps: number; projected: Array<{ receivers: number; intervalMs: number; perCore: number }> }>;
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
  return { p50: at(50), p90: at(90), p95: at(95), p99: at(99), max, samples };
}

function sortedPercentiles(values: number[]): Percentiles {
  const s = [...values].sort((a, b) => a - b);
  const at = (p: number) => (s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : NaN);
  return { p50: at(50), p90: at(90), p95: at(95), p99: at(99), max: s.length ? s[s.length - 1] : NaN };
}

function spread(values: number[]): Spread {
  const v = values.filter((x) => Number.isFinite(x));
  if (!v.length) return { median: NaN, min: NaN, max: NaN };
  return { median: round2(median(v)), min: round2(Math.min(...v)), max: round2(Math.max(...v)) };
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
  if (!(opts.rate > 0) || !(opts.senders >= 1) || !(opts.workers >= 1) || !(opts.runs >= 1)) throw new Error('--rate, --senders, --workers and --runs must be positive');
  if (opts.client !== 'raw' && opts.client !== 'socketio') throw new Error(`--client is raw or socketio, got "${opts.client}"`);
  const variants: ServerVariant[] = opts.variants.length ? opts.variants : [{ name: 'default', chat: {} }];
  const began = Date.now();
  const loadAverageAtStart = os.loadavg().map(round2);
  const maxN = Math.max(...steps, ...singleSteps);
  const openFiles = ensureOpenFiles(maxN + opts.senders + 500, log);
  const baseChat = { ...BENCH_CHAT_CONFIG, ...(opts.batchMs !== undefined && { messageBatchMs: opts.batchMs }) };
  const workerFile = path.join(__dirname, 'bench', opts.client === 'raw' ? 'chat-raw-worker.js' : 'chat-load-worker.js');
  if (!fs.existsSync(workerFile)) throw new Error(`${workerFile} is missing: run \`npm run build\` first`);
  const localAddresses = Array.from({ length: Math.max(1, Math.min(250, opts.addresses)) }, (_, i) => `127.0.0.${i + 1}`);
  const results: StepResult[] = [];
  let stepId = 0;

  /** One run of one variant: a fresh server, generators and senders; every step. */
  async function runOnce(run: number, variant: ServerVariant): Promise<void> {
    const configFile = path.join(os.tmpdir(), `liveroom-bench-chat-${crypto.randomBytes(4).toString('hex')}.json`);
    fs.writeFileSync(configFile, JSON.stringify({ chat: { ...baseChat, ...variant.chat } }));
    const server = new LiveroomProcess({
      root: variant.root ?? opts.root,
      logLevel: 'warn',
      env: { LIVEROOM_CONFIG: configFile, ...(opts.serverNodeOptions ? { NODE_OPTIONS: opts.serverNodeOptions } : {}) },
    });
    const workers: LoadWorker[] = [];
    const senders: Client[] = [];
    const onExit = () => {
      server.killAndCleanSync();
      for (const w of workers) w.proc.kill('SIGKILL');
    };
    process.once('exit', onExit);

    async function runStep(url: string, mode: DeliveryMode, n: number): Promise<StepResult> {
      const id = stepId++;
      const t0 = Date.now();
      const replies = await Promise.all(
        workers.map((w, i) => {
          const share = Math.floor(n / workers.length) + (i < n % workers.length ? 1 : 0);
          return w.request(
            { type: 'connect', url, channel: 'live', total: share, concurrency: 50, batch: mode === 'batch', localAddresses, sampleEvery: opts.sampleEvery },
            300_000,
          );
        }),
      );
      let connected = 0;
      for (const r of replies) {
        if (r.type !== 'connected') throw new Error('unexpected reply from a load generator');
        connected += r.total;
        if (r.failed) log(`${r.failed} connections refused: ${r.errors.join('; ')}`);
      }
      log(`[run ${run + 1} ${variant.name}] ${mode} N=${n}: ${connected} receivers connected in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      await sleep(2000); // let the joins' welcomes and viewer counts settle

      const serverPid = opts.serverUrl ? undefined : server.pid;
      // Idle: connected, no messages (pings, viewer counts, timers).
      const idle0 = cpuSecondsPrecise(serverPid);
      const idleWall0 = Date.now();
      await sleep(opts.idleSeconds * 1000);
      const idleCpu = cpuSecondsPrecise(serverPid) - idle0;
      const idleWall = (Date.now() - idleWall0) / 1000;

      const total = Math.round(opts.rate * (opts.warmupSeconds + opts.measureSeconds));
      const warmupSeq = Math.round(opts.rate * opts.warmupSeconds);
      for (const w of workers) w.tell({ type: 'begin', step: id, maxSeq: total, warmupSeq });
      await sleep(100);

      const workerPids = workers.map((w) => w.proc.pid);
      const server0 = cpuTimes(serverPid);
      const serverPrecise0 = cpuSecondsPrecise(serverPid);
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
      const serverPrecise1 = cpuSecondsPrecise(serverPid);
      const load1 = cpuSum(workerPids);
      const self = process.cpuUsage(self0);
      const busy = machineBusy(cpus0, os.cpus());

      if (reports.some((r) => r.type === 'report' && r.report.disconnected > 0) && serverPid !== undefined) {
        const alive = server.exitState();
        log(`receivers were disconnected; the server ${alive ?? 'is still running'}; its last log lines:\n${server.logLines.slice(-8).join('\n')}`);
      }
      const histogram = new Array<number>(HISTOGRAM_MS + 1).fill(0);
      let lost = 0;
      let duplicates = 0;
      let disconnected = 0;
      let receivers = 0;
      let drainedMs = 0;
      let loopP99 = 0;
      let frames: number | null = null;
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
        if (r.frames !== undefined) frames = (frames ?? 0) + r.frames;
        if (r.disconnected) log(`${r.disconnected} receivers of a generator disconnected (close codes ${JSON.stringify(r.closeCodes ?? {})})`);
      }
      const serverCpu = { user: server1.user - server0.user, system: server1.system - server0.system };
      const serverSeconds = serverPrecise1 - serverPrecise0;
      const loadCpu = { user: load1.user - load0.user, system: load1.system - load0.system };
      const selfCpu = (self.user + self.system) / 1e6;
      const deliveries = receivers * acked.length - lost;
      const latency = percentiles(histogram);
      const idleRate = idleWall > 0 ? idleCpu / idleWall : 0;
      const measured = serverPid !== undefined;
      const result: StepResult = {
        run,
        variant: variant.name,
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
        frames,
        messagesPerFrame: frames ? round2(deliveries / frames) : null,
        cpu: {
          server: round2(serverSeconds / wall),
          serverSystem: round2(serverCpu.system / wall),
          loadGenerators: round2((loadCpu.user + loadCpu.system) / wall),
          loadGeneratorsSystem: round2(loadCpu.system / wall),
          senders: round2(selfCpu / wall),
          otherProcesses: round2(Math.max(0, busy * os.cpus().length - (serverSeconds + loadCpu.user + loadCpu.system + selfCpu) / wall)),
          machineBusy: round2(busy),
        },
        idle: {
          server: measured ? round2(idleRate) : NaN,
          serverUsPerClientSecond: measured && receivers ? round2((idleRate * 1e6) / receivers) : NaN,
          seconds: round2(idleWall),
        },
        cpuPerDeliveryUs: {
          server: deliveries && measured ? round2((serverSeconds * 1e6) / deliveries) : NaN,
          serverNet: deliveries && measured ? round2((Math.max(0, serverSeconds - idleRate * wall) * 1e6) / deliveries) : NaN,
          loadGenerators: deliveries ? round2(((loadCpu.user + loadCpu.system) * 1e6) / deliveries) : NaN,
        },
        serverUsPerClientSecond: measured && receivers ? round2((serverSeconds * 1e6) / (receivers * wall)) : NaN,
        loadGeneratorLoopDelayP99Ms: Math.round(loopP99),
        serverRssMb: rssMb(serverPid),
        pass: lost === 0 && refused === 0 && disconnected === 0 && receivers === n && latency.p99 <= opts.targetP99Ms,
      };
      log(
        `[run ${run + 1} ${variant.name}] ${mode} N=${receivers}: p50 ${latency.p50} ms, p95 ${latency.p95} ms, p99 ${latency.p99} ms, max ${latency.max} ms, ` +
          `lost ${lost}/${result.expectedDeliveries}; server ${Math.round(result.cpu.server * 100)}% of a core, ${result.cpuPerDeliveryUs.server} µs/delivery ` +
          `(${result.cpuPerDeliveryUs.serverNet} net of idle), idle ${result.idle.serverUsPerClientSecond} µs/client/s; ` +
          `generators ${Math.round(result.cpu.loadGenerators * 100)}% (${result.cpuPerDeliveryUs.loadGenerators} µs/delivery), ` +
          `others ${Math.round(result.cpu.otherProcesses * 100)}%; ${result.messagesPerFrame ?? '?'} msg/frame → ${result.pass ? 'pass' : 'MISS'}`,
      );
      return result;
    }

    try {
      if (!opts.serverUrl) await server.start();
      const url = opts.serverUrl ?? server.httpOrigin;
      for (let i = 0; i < opts.workers; i++) {
        workers.push(new LoadWorker(fork(workerFile, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })));
      }
      for (let i = 0; i < opts.senders; i++) {
        const socket: Client = ioClient(url, {
          path: '/socket.io',
          transports: ['websocket'],
          forceNew: true,
          reconnection: false,
          // Batched, so the senders' own copies of the room's messages cost them (and the server) little.
          auth: { channel: 'live', identity: crypto.randomBytes(16).toString('base64url'), name: `sender${i}`, batch: true },
        });
        await new Promise<void>((resolve, reject) => {
          socket.once('welcome', () => resolve());
          socket.once('connect_error', (err) => reject(new Error(`sender refused: ${err.message}`)));
        });
        senders.push(socket);
      }
      const modes: Array<[DeliveryMode, number[]]> = [
        ['batch', steps],
        ['single', singleSteps],
      ];
      for (const [mode, list] of modes) {
        if (!list.length) continue;
        await Promise.all(workers.map((w) => w.request({ type: 'reset' }, 30_000)));
        for (const n of list) {
          const result = await runStep(url, mode, n);
          results.push(result);
          if (result.receivers < n || result.disconnected > result.receivers / 2) {
            log('too many receivers missing: stopping this mode here');
            break;
          }
          if (result.latencyMs.p99 > opts.skipAfterP99Ms || result.lost > result.expectedDeliveries / 10) {
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
  }

  for (let run = 0; run < opts.runs; run++) {
    // Alternate the order between runs too (a, b / b, a), so neither always goes first.
    const order = run % 2 === 0 ? variants : [...variants].reverse();
    for (const v of order) {
      log(`run ${run + 1}/${opts.runs}, server variant ${v.name} ${JSON.stringify(v.chat)}`);
      await runOnce(run, v);
    }
  }

  const { summary, verdict, costModel } = summarizeChatSteps(results, variants, { rate: opts.rate, targetP99Ms: opts.targetP99Ms, baseChat });
  return {
    bench: 'chat',
    startedAt: new Date(began).toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? 'unknown', node: process.version, openFilesLimit: openFiles, loadAverageAtStart },
    options: {
      steps,
      singleSteps,
      rate: opts.rate,
      senders: opts.senders,
      workers: opts.workers,
      client: opts.client,
      sampleEvery: opts.sampleEvery,
      addresses: localAddresses.length,
      idleSeconds: opts.idleSeconds,
      warmupSeconds: opts.warmupSeconds,
      measureSeconds: opts.measureSeconds,
      drainSeconds: opts.drainSeconds,
      targetP99Ms: opts.targetP99Ms,
      skipAfterP99Ms: opts.skipAfterP99Ms,
      batchMs: baseChat.messageBatchMs ?? chatSchema.parse({}).messageBatchMs,
      runs: opts.runs,
      variants,
      ...(opts.serverUrl && { serverUrl: opts.serverUrl }),
    },
    serverChatConfig: baseChat,
    steps: results,
    summary,
    verdict,
    costModel,
    durationSeconds: Math.round((Date.now() - began) / 1000),
  };
}

/**
 * Medians and spreads per (variant, mode, N), the verdicts and the cost model, from the steps (also from a saved
 * bench-results/chat.json: `summarizeChatSteps(r.steps, r.options.variants, { rate, targetP99Ms, baseChat: r.serverChatConfig })`).
 * A step where receivers were dropped (the server died or closed them) is left out of the CPU figures and the fit.
 */
export function summarizeChatSteps(
  results: StepResult[],
  variants: ServerVariant[],
  opts: { rate: number; targetP99Ms: number; baseChat: Record<string, unknown> },
): Pick<ChatBenchResult, 'summary' | 'verdict' | 'costModel'> {
  const baseChat = opts.baseChat;
  const clean = (r: StepResult) => r.disconnected === 0;
  const summary: StepSummary[] = [];
  for (const v of variants) {
    for (const mode of ['batch', 'single'] as const) {
      const ns = [...new Set(results.filter((r) => r.variant === v.name && r.mode === mode).map((r) => r.receivers))].sort((a, b) => a - b);
      for (const n of ns) {
        const all = results.filter((r) => r.variant === v.name && r.mode === mode && r.receivers === n);
        const mine = all.filter(clean);
        if (!mine.length) continue;
        summary.push({
          variant: v.name,
          mode,
          receivers: n,
          runs: mine.length,
          dropped: all.length - mine.length,
          p50: spread(mine.map((r) => r.latencyMs.p50)),
          p95: spread(mine.map((r) => r.latencyMs.p95)),
          p99: spread(mine.map((r) => r.latencyMs.p99)),
          lost: mine.reduce((a, r) => a + r.lost, 0),
          serverUsPerDelivery: spread(mine.map((r) => r.cpuPerDeliveryUs.server)),
          serverNetUsPerDelivery: spread(mine.map((r) => r.cpuPerDeliveryUs.serverNet)),
          idleUsPerClientSecond: spread(mine.map((r) => r.idle.serverUsPerClientSecond)),
          serverUsPerClientSecond: spread(mine.map((r) => r.serverUsPerClientSecond)),
          serverCore: spread(mine.map((r) => r.cpu.server)),
          loadGeneratorsCore: spread(mine.map((r) => r.cpu.loadGenerators)),
          otherCore: spread(mine.map((r) => r.cpu.otherProcesses)),
          messagesPerFrame: spread(mine.map((r) => r.messagesPerFrame ?? NaN)),
          projectedPerCore: spread(mine.map((r) => (r.cpu.server > 0 ? Math.round(r.receivers / r.cpu.server) : NaN))),
          pass: all.every((r) => r.pass),
        });
      }
    }
  }
  const verdict: ChatBenchResult['verdict'] = {};
  for (const v of variants) {
    for (const mode of ['batch', 'single'] as const) {
      const mine = summary.filter((s) => s.variant === v.name && s.mode === mode);
      if (!mine.length) continue;
      const ok = (s: StepSummary) => s.lost === 0 && s.p99.median <= opts.targetP99Ms;
      const firstFailing = mine.find((s) => !ok(s))?.receivers ?? null;
      const passing = mine.filter((s) => ok(s) && (firstFailing === null || s.receivers < firstFailing));
      const best = passing[passing.length - 1];
      verdict[`${v.name}/${mode}`] = {
        largestPassing: best?.receivers ?? null,
        firstFailing,
        projectedPerCore: best && Number.isFinite(best.projectedPerCore.median) ? best.projectedPerCore.median : null,
      };
    }
  }
  const costModel: ChatBenchResult['costModel'] = {};
  for (const v of variants) {
    const rows = results.filter((r) => r.variant === v.name && clean(r) && r.frames && Number.isFinite(r.cpuPerDeliveryUs.serverNet));
    if (rows.length < 2) continue;
    let sff = 0, sfd = 0, sdd = 0, sfy = 0, sdy = 0; // prettier-ignore
    for (const r of rows) {
      const d = r.expectedDeliveries - r.lost;
      const f = r.frames ?? 0;
      const y = (r.cpuPerDeliveryUs.serverNet * d) / 1e6;
      sff += f * f;
      sfd += f * d;
      sdd += d * d;
      sfy += f * y;
      sdy += d * y;
    }
    const det = sff * sdd - sfd * sfd;
    if (!(det > 0)) continue;
    const perWrite = ((sfy * sdd - sdy * sfd) / det) * 1e6;
    const perMessage = ((sff * sdy - sfd * sfy) / det) * 1e6;
    const chat = chatSchema.parse({ ...baseChat, ...(v.root ? {} : v.chat) });
    const idleMedian = median(rows.map((r) => r.idle.serverUsPerClientSecond).filter((x) => Number.isFinite(x) && x >= 0));
    const projected = [...new Set(rows.map((r) => r.receivers))].sort((a, b) => a - b).map((n) => {
      // Another build (main's) has the fixed interval; this one's grows with the room.
      const intervalMs = v.root ? chat.messageBatchMs : batchIntervalMs(chat, n);
      const usPerClientSecond = opts.rate * perMessage + (1000 / intervalMs) * perWrite + (Number.isFinite(idleMedian) ? idleMedian : 0);
      return { receivers: n, intervalMs, perCore: Math.round(1e6 / usPerClientSecond) };
    });
    costModel[v.name] = { usPerWrite: round2(perWrite), usPerMessage: Math.round(perMessage * 1000) / 1000, steps: rows.length, projected };
  }
  return { summary, verdict, costModel };
}

const round2 = (x: number) => Math.round(x * 100) / 100;

export function formatChatResult(r: ChatBenchResult): string {
  const o = r.options;
  const sp = (s: Spread, digits = 0) =>
    Number.isFinite(s.median) ? (s.min === s.max ? s.median.toFixed(digits) : `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`) : '–';
  const pct = (s: Spread) => (Number.isFinite(s.median) ? `${Math.round(s.median * 100)}%` : '–');
  const lines = [
    `chat fan-out: ${o.rate} msg/s from ${o.senders} senders into one room; receivers (${o.client} generator${o.client === 'raw' ? `, 1 in ${o.sampleEvery} checks every message` : ''}) ` +
      `in ${o.workers} processes beside the server; ${o.measureSeconds} s measured per step, ${o.runs} run(s): median (min–max) (${r.machine.cpus} × ${r.machine.model}, ` +
      `load average at start ${r.machine.loadAverageAtStart.join(' ')})`,
    `delivery: batch = \`messages\` packets (auth.batch) at most every ${o.batchMs} ms unless a variant says otherwise, single = one \`message\` packet per message`,
    '',
    '  variant    delivery  receivers   runs   p50 ms          p95 ms          p99 ms          lost   server µs/delivery   idle µs/client/s   server core   gen core   others   msg/frame   receivers/core',
  ];
  for (const s of r.summary) {
    lines.push(
      `  ${s.variant.padEnd(10)} ${s.mode.padEnd(8)}  ${String(s.receivers).padStart(9)}   ${`${s.runs}${s.dropped ? `+${s.dropped}✗` : ''}`.padEnd(5)}  ${sp(s.p50).padEnd(14)}  ${sp(s.p95).padEnd(14)}  ${sp(s.p99).padEnd(14)}  ${String(s.lost).padStart(4)}   ` +
        `${sp(s.serverUsPerDelivery, 2).padEnd(19)}  ${sp(s.idleUsPerClientSecond, 1).padEnd(17)}  ${pct(s.serverCore).padStart(11)}   ${pct(s.loadGeneratorsCore).padStart(8)}   ${pct(s.otherCore).padStart(6)}   ` +
        `${sp(s.messagesPerFrame, 1).padStart(9)}   ${sp(s.projectedPerCore)}`,
    );
  }
  lines.push('', `target: median p99 ≤ ${o.targetP99Ms} ms and none lost`);
  for (const [key, v] of Object.entries(r.verdict)) {
    lines.push(
      `  ${key}: largest passing N = ${v.largestPassing ?? 'none'}${v.firstFailing !== null ? `, first miss at N = ${v.firstFailing}` : ''}` +
        `${v.projectedPerCore !== null ? `; projected ${v.projectedPerCore} receivers per core of server CPU at ${o.rate} msg/s` : ''}`,
    );
  }
  for (const [name, m] of Object.entries(r.costModel ?? {})) {
    lines.push(
      `  ${name}: server cost fit over ${m.steps} steps: ${m.usPerWrite} µs per socket write, ${m.usPerMessage} µs per message delivered; ` +
        `projected receivers per core at ${o.rate} msg/s: ${m.projected.map((p) => `${p.perCore} (${p.intervalMs} ms batches, as at N=${p.receivers})`).join(', ')}`,
    );
  }
  if (r.summary.some((s) => s.dropped)) lines.push('  (n+m✗: m runs of that step dropped receivers — the server exited or closed them — and are left out)');
  if (r.summary.some((s) => s.otherCore.max > 0.2)) lines.push('  (other processes used the CPU during some steps: latency figures are pessimistic; compare variants within a run)');
  return lines.join('\n');
}

/** `a:{json};b@/other/root:{json}` → variants. */
function parseVariants(text: string): ServerVariant[] {
  return text
    .split(';')
    .filter((x) => x.trim())
    .map((part) => {
      const colon = part.indexOf(':');
      if (colon <= 0) throw new Error(`--variants: "${part}" is not name:{json}`);
      const chat = JSON.parse(part.slice(colon + 1)) as unknown;
      if (typeof chat !== 'object' || chat === null || Array.isArray(chat)) throw new Error(`--variants: "${part}" needs a JSON object of chat settings`);
      const [name, root] = part.slice(0, colon).trim().split('@');
      return { name, ...(root && { root: path.resolve(root) }), chat: chat as Record<string, unknown> };
    });
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
  if (flags.client !== undefined) out.client = flags.client as GeneratorKind;
  if (flags.variants !== undefined) out.variants = parseVariants(flags.variants);
  const list = (v: string) => (v.trim() === '' ? [] : v.split(',').map((x) => Number(x.trim())));
  if (flags.steps !== undefined) out.steps = list(flags.steps);
  if (flags['single-steps'] !== undefined) out.singleSteps = list(flags['single-steps']);
  const map: Array<[string, keyof ChatBenchOptions]> = [
    ['rate', 'rate'],
    ['senders', 'senders'],
    ['workers', 'workers'],
    ['sample-every', 'sampleEvery'],
    ['addresses', 'addresses'],
    ['idle', 'idleSeconds'],
    ['warmup', 'warmupSeconds'],
    ['measure', 'measureSeconds'],
    ['drain', 'drainSeconds'],
    ['target-p99', 'targetP99Ms'],
    ['skip-after-p99', 'skipAfterP99Ms'],
    ['batch-ms', 'batchMs'],
    ['runs', 'runs'],
  ];
  for (const [flag, key] of map) {
    const v = num(flag);
    if (v !== undefined) (out as Record<string, number>)[key] = v;
  }
  return out;
}
