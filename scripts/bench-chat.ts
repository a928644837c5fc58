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
import { chatSchema } from '../core/config-schema';
import { LoadWorker } from './bench/chat-load-handle';
import { BENCH_CHAT_CONFIG, type ChatBenchOptions, loopbackSources, resolveChatOptions, type ServerVariant } from './bench/chat-options';
import type { ChatBenchResult, DeliveryMode, StepResult } from './bench/chat-results';
import { ChatSenders } from './bench/chat-senders';
import { runChatStep, type StepContext } from './bench/chat-step';
import { summarizeChatSteps } from './bench/chat-summary';
import { LiveroomProcess } from './bench/liveroom-process';
import { ensureOpenFiles } from './bench/process-resources';
import { round2 } from './bench/stats';

export { BENCH_CHAT_CONFIG, chatBenchFlags, DEFAULT_CHAT_BENCH, type ChatBenchOptions, type GeneratorKind, type ServerVariant } from './bench/chat-options';
export type { ChatBenchResult, DeliveryMode, Percentiles, Spread, StepResult, StepSummary } from './bench/chat-results';
export { formatChatResult } from './bench/chat-format';
export { summarizeChatSteps } from './bench/chat-summary';

export async function runChatBench(input: Partial<ChatBenchOptions> & Pick<ChatBenchOptions, 'root' | 'log'>): Promise<ChatBenchResult> {
  const opts = resolveChatOptions(input);
  const { log, steps, singleSteps, variants } = opts;
  const began = Date.now();
  const loadAverageAtStart = os.loadavg().map(round2);
  const maxN = Math.max(...steps, ...singleSteps);
  const openFiles = ensureOpenFiles(maxN + opts.senders + 500, log);
  const baseChat = { ...BENCH_CHAT_CONFIG, ...(opts.batchMs !== undefined && { messageBatchMs: opts.batchMs }) };
  const workerFile = path.join(__dirname, 'bench', opts.client === 'raw' ? 'chat-raw-worker.js' : 'chat-load-worker.js');
  if (!fs.existsSync(workerFile)) throw new Error(`${workerFile} is missing: run \`npm run build\` first`);
  const localAddresses = loopbackSources(opts.addresses);
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
    const senders = new ChatSenders();
    const onExit = () => {
      server.killAndCleanSync();
      for (const w of workers) w.proc.kill('SIGKILL');
    };
    process.once('exit', onExit);

    try {
      if (!opts.serverUrl) await server.start();
      const url = opts.serverUrl ?? server.httpOrigin;
      for (let i = 0; i < opts.workers; i++) {
        workers.push(new LoadWorker(fork(workerFile, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })));
      }
      await senders.connect(url, opts.senders);
      const ctx: StepContext = { opts, run, variant: variant.name, server, url, workers, senders, localAddresses };
      const modes: Array<[DeliveryMode, number[]]> = [
        ['batch', steps],
        ['single', singleSteps],
      ];
      for (const [mode, list] of modes) {
        if (!list.length) continue;
        await Promise.all(workers.map((w) => w.request({ type: 'reset' }, 30_000)));
        for (const n of list) {
          const result = await runChatStep(ctx, stepId++, mode, n);
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
      senders.close();
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
