/**
 * One step of the chat bench: receivers added up to N in the load generators, an idle window (the server's cost per
 * connected client), then the messages (warm-up and measuring window) and the drain, with the CPU of every process
 * taken around the message window.
 */
import os from 'node:os';
import type { LoadWorker } from './chat-load-handle';
import type { ChatBenchOptions } from './chat-options';
import type { DeliveryMode, StepResult } from './chat-results';
import type { ChatSenders } from './chat-senders';
import { combineReports, formatStepLine, stepResult } from './chat-step-result';
import { type LiveroomProcess, sleep } from './liveroom-process';
import { machineBusy } from './proc-cpu';
import { cpuSecondsPrecise, cpuSum, cpuTimes, rssMb } from './process-resources';

/** What every step of one run (one server, its generators and senders) shares. */
export interface StepContext {
  opts: ChatBenchOptions;
  run: number;
  variant: string;
  server: LiveroomProcess;
  url: string;
  workers: LoadWorker[];
  senders: ChatSenders;
  localAddresses: string[];
}

/** Receivers up to `n` spread over the generators; logs how many connected. */
async function connectReceivers(ctx: StepContext, mode: DeliveryMode, n: number): Promise<void> {
  const { workers, opts } = ctx;
  const t0 = Date.now();
  const replies = await Promise.all(
    workers.map((w, i) => {
      const share = Math.floor(n / workers.length) + (i < n % workers.length ? 1 : 0);
      return w.request(
        { type: 'connect', url: ctx.url, channel: 'live', total: share, concurrency: 50, batch: mode === 'batch', localAddresses: ctx.localAddresses, sampleEvery: opts.sampleEvery },
        300_000,
      );
    }),
  );
  let connected = 0;
  for (const r of replies) {
    if (r.type !== 'connected') throw new Error('unexpected reply from a load generator');
    connected += r.total;
    if (r.failed) opts.log(`${r.failed} connections refused: ${r.errors.join('; ')}`);
  }
  opts.log(`[run ${ctx.run + 1} ${ctx.variant}] ${mode} N=${n}: ${connected} receivers connected in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

/** Runs step `id` with `n` receivers in `mode` and logs its figures. */
export async function runChatStep(ctx: StepContext, id: number, mode: DeliveryMode, n: number): Promise<StepResult> {
  const { opts, server, workers, senders } = ctx;
  const { log } = opts;
  await connectReceivers(ctx, mode, n);
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

  const sent = await senders.send(id, total, opts.rate);

  const reports = await Promise.all(
    workers.map((w) => w.request({ type: 'end', step: id, acked: sent.acked, drainMs: opts.drainSeconds * 1000 }, opts.drainSeconds * 1000 + 60_000)),
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
  const combined = combineReports(reports, log);
  const result = stepResult(
    {
      run: ctx.run,
      variant: ctx.variant,
      mode,
      n,
      senders: senders.count,
      total,
      sent,
      measured: serverPid !== undefined,
      idleCpu,
      idleWall,
      wall,
      serverCpu: { user: server1.user - server0.user, system: server1.system - server0.system },
      serverSeconds: serverPrecise1 - serverPrecise0,
      loadCpu: { user: load1.user - load0.user, system: load1.system - load0.system },
      selfCpu: (self.user + self.system) / 1e6,
      busy,
      cpus: os.cpus().length,
      serverRssMb: rssMb(serverPid),
      targetP99Ms: opts.targetP99Ms,
    },
    combined,
  );
  log(formatStepLine(result));
  return result;
}
