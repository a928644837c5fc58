/**
 * The chat bench's options (scripts/bench-chat.ts): their defaults, the server chat config the bench runs with, the
 * `--key=value` flags that set them, and the one check that makes a validated config out of them.
 */
import path from 'node:path';

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

/**
 * The options over the defaults, checked: steps sorted, one unnamed variant when none is given. Throws with what is
 * wrong, before anything runs.
 */
export function resolveChatOptions(input: Partial<ChatBenchOptions> & Pick<ChatBenchOptions, 'root' | 'log'>): ChatBenchOptions {
  const opts: ChatBenchOptions = { ...DEFAULT_CHAT_BENCH, ...input };
  const steps = [...opts.steps].sort((a, b) => a - b);
  const singleSteps = [...opts.singleSteps].sort((a, b) => a - b);
  if (!steps.length && !singleSteps.length) throw new Error('nothing to run: --steps and --single-steps are both empty');
  if ([...steps, ...singleSteps].some((n) => !(n >= 1 && Number.isInteger(n)))) throw new Error('--steps and --single-steps list receiver counts (whole numbers ≥ 1)');
  if (!(opts.rate > 0) || !(opts.senders >= 1) || !(opts.workers >= 1) || !(opts.runs >= 1)) throw new Error('--rate, --senders, --workers and --runs must be positive');
  if (opts.client !== 'raw' && opts.client !== 'socketio') throw new Error(`--client is raw or socketio, got "${opts.client}"`);
  const variants: ServerVariant[] = opts.variants.length ? opts.variants : [{ name: 'default', chat: {} }];
  return { ...opts, steps, singleSteps, variants };
}

/** The loopback source addresses (127.0.0.1, .2, …) the raw generator spreads its connections over: 1 to 250 of them. */
export function loopbackSources(addresses: number): string[] {
  return Array.from({ length: Math.max(1, Math.min(250, addresses)) }, (_, i) => `127.0.0.${i + 1}`);
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
