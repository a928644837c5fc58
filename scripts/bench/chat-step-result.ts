/**
 * One chat bench step's figures (a StepResult) from what was measured: the generators' reports, the CPU each process
 * spent over the idle and message windows, and what the senders got back.
 */
import type { FromWorker, WorkerReport } from './chat-load-worker';
import { HISTOGRAM_MS } from './chat-load-worker';
import type { SendOutcome } from './chat-senders';
import type { DeliveryMode, StepResult } from './chat-results';
import { histogramPercentiles, nearestRankPercentiles, round2 } from './stats';

/** The generators' reports of one step added up: latency histogram, losses, receivers, frames. */
export interface CombinedReports {
  histogram: number[];
  lost: number;
  duplicates: number;
  disconnected: number;
  receivers: number;
  drainedMs: number;
  loopP99: number;
  frames: number | null;
}

export function combineReports(reports: FromWorker[], log: (line: string) => void): CombinedReports {
  const c: CombinedReports = { histogram: new Array<number>(HISTOGRAM_MS + 1).fill(0), lost: 0, duplicates: 0, disconnected: 0, receivers: 0, drainedMs: 0, loopP99: 0, frames: null };
  for (const reply of reports) {
    if (reply.type !== 'report') throw new Error('unexpected reply from a load generator');
    const r: WorkerReport = reply.report;
    r.histogram.forEach((n, i) => (c.histogram[i] += n));
    c.lost += r.lost;
    c.duplicates += r.duplicates;
    c.disconnected += r.disconnected;
    c.receivers += r.receivers;
    c.drainedMs = Math.max(c.drainedMs, r.drainedMs);
    c.loopP99 = Math.max(c.loopP99, r.loopDelayP99Ms);
    if (r.frames !== undefined) c.frames = (c.frames ?? 0) + r.frames;
    if (r.disconnected) log(`${r.disconnected} receivers of a generator disconnected (close codes ${JSON.stringify(r.closeCodes ?? {})})`);
  }
  return c;
}

type Cpu = { user: number; system: number };

/** What one step measured, beside the reports. */
export interface StepMeasures {
  run: number;
  variant: string;
  mode: DeliveryMode;
  /** Receivers asked for. */
  n: number;
  senders: number;
  /** Messages sent, and what the senders got back. */
  total: number;
  sent: SendOutcome;
  /** The server's CPU is measured (false when benching an already running server). */
  measured: boolean;
  /** Idle window: server CPU seconds and wall seconds. */
  idleCpu: number;
  idleWall: number;
  /** Message window (wall seconds): server CPU (ticks and precise seconds), generators', the bench's own, machine busy share. */
  wall: number;
  serverCpu: Cpu;
  serverSeconds: number;
  loadCpu: Cpu;
  selfCpu: number;
  busy: number;
  cpus: number;
  serverRssMb: number | null;
  targetP99Ms: number;
}

export function stepResult(m: StepMeasures, c: CombinedReports): StepResult {
  const { wall, serverSeconds, loadCpu, selfCpu, measured } = m;
  const receivers = c.receivers;
  const { acked, ackMs, refused, sendSeconds } = m.sent;
  const deliveries = receivers * acked.length - c.lost;
  const latency = histogramPercentiles(c.histogram);
  const idleRate = m.idleWall > 0 ? m.idleCpu / m.idleWall : 0;
  return {
    run: m.run,
    variant: m.variant,
    mode: m.mode,
    receivers,
    senders: m.senders,
    rate: Math.round((m.total / sendSeconds) * 10) / 10,
    sent: m.total,
    acked: acked.length,
    refused,
    ackMs: nearestRankPercentiles(ackMs),
    latencyMs: latency,
    lost: c.lost,
    expectedDeliveries: receivers * acked.length,
    duplicates: c.duplicates,
    disconnected: c.disconnected,
    drainedMs: c.drainedMs,
    frames: c.frames,
    messagesPerFrame: c.frames ? round2(deliveries / c.frames) : null,
    cpu: {
      server: round2(serverSeconds / wall),
      serverSystem: round2(m.serverCpu.system / wall),
      loadGenerators: round2((loadCpu.user + loadCpu.system) / wall),
      loadGeneratorsSystem: round2(loadCpu.system / wall),
      senders: round2(selfCpu / wall),
      otherProcesses: round2(Math.max(0, m.busy * m.cpus - (serverSeconds + loadCpu.user + loadCpu.system + selfCpu) / wall)),
      machineBusy: round2(m.busy),
    },
    idle: {
      server: measured ? round2(idleRate) : NaN,
      serverUsPerClientSecond: measured && receivers ? round2((idleRate * 1e6) / receivers) : NaN,
      seconds: round2(m.idleWall),
    },
    cpuPerDeliveryUs: {
      server: deliveries && measured ? round2((serverSeconds * 1e6) / deliveries) : NaN,
      serverNet: deliveries && measured ? round2((Math.max(0, serverSeconds - idleRate * wall) * 1e6) / deliveries) : NaN,
      loadGenerators: deliveries ? round2(((loadCpu.user + loadCpu.system) * 1e6) / deliveries) : NaN,
    },
    serverUsPerClientSecond: measured && receivers ? round2((serverSeconds * 1e6) / (receivers * wall)) : NaN,
    loadGeneratorLoopDelayP99Ms: Math.round(c.loopP99),
    serverRssMb: m.serverRssMb,
    pass: c.lost === 0 && refused === 0 && c.disconnected === 0 && receivers === m.n && latency.p99 <= m.targetP99Ms,
  };
}

/** The step's one log line. */
export function formatStepLine(r: StepResult): string {
  const latency = r.latencyMs;
  return (
    `[run ${r.run + 1} ${r.variant}] ${r.mode} N=${r.receivers}: p50 ${latency.p50} ms, p95 ${latency.p95} ms, p99 ${latency.p99} ms, max ${latency.max} ms, ` +
    `lost ${r.lost}/${r.expectedDeliveries}; server ${Math.round(r.cpu.server * 100)}% of a core, ${r.cpuPerDeliveryUs.server} µs/delivery ` +
    `(${r.cpuPerDeliveryUs.serverNet} net of idle), idle ${r.idle.serverUsPerClientSecond} µs/client/s; ` +
    `generators ${Math.round(r.cpu.loadGenerators * 100)}% (${r.cpuPerDeliveryUs.loadGenerators} µs/delivery), ` +
    `others ${Math.round(r.cpu.otherProcesses * 100)}%; ${r.messagesPerFrame ?? '?'} msg/frame → ${r.pass ? 'pass' : 'MISS'}`
  );
}
