/**
 * What the chat bench measures and writes to bench-results/chat.json: a StepResult per (run, variant, mode, N), the
 * summaries over the runs, and the whole result.
 */
import type { Percentiles, Spread } from './stats';
import type { BENCH_CHAT_CONFIG, ChatBenchOptions } from './chat-options';

export type { Percentiles, Spread } from './stats';

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
