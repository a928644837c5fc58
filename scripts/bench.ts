/**
 * `npm run bench [-- <name>...] [--key=value...]`: runs the benchmarks, prints a
 * table per bench and writes bench-results/<name>.json.
 *
 *   node dist/scripts/bench.js                 # every bench
 *   node dist/scripts/bench.js latency --settle=3 --joins=3 --warmup=5 --measure=8 --first-frame-runs=5
 *
 * To add a bench (chat fan-out, transcoder throughput…), add an entry to BENCHES.
 */
import fs from 'node:fs';
import path from 'node:path';
import { formatLatencyResult, runLatencyBench } from './bench-latency';
import { chatBenchFlags, formatChatResult, runChatBench } from './bench-chat';
import { formatTranscodeResult, runTranscodeBench } from './bench-transcode';
import { formatPlayersResult, PLAYERS, runPlayersBench, type PlayerName } from './bench-players';
import { formatAbuseResult, runAbuseBench } from './bench-abuse';
import { formatEdgeResult, runEdgeBench } from './bench-edge';
import { formatViewersResult, runViewersBench } from './bench-viewers';
import { LiveroomProcess } from './bench/liveroom-process';
import { killAllNginxSync } from './bench/nginx-process';
import { formatRecordingsResult, runRecordingsBench } from './bench-recordings';
import { formatClusterResult, runClusterBench } from './bench-cluster';

export interface BenchContext {
  root: string;
  /** --key=value flags from the command line. */
  flags: Record<string, string>;
  log: (line: string) => void;
}

export interface BenchDefinition {
  name: string;
  description: string;
  run(ctx: BenchContext): Promise<unknown>;
  format(result: unknown): string;
}

/** A comma-separated list of viewer counts ("" for none). */
function countsFlag(flags: Record<string, string>, key: string, fallback: number[]): number[] {
  const v = flags[key];
  if (v === undefined) return fallback;
  const out = v.split(',').filter((x) => x.trim() !== '').map((x) => Math.round(Number(x)));
  if (out.some((n) => !Number.isFinite(n) || n < 1)) throw new Error(`--${key} must be a list of viewer counts, got "${v}"`);
  return out;
}

function numberFlag(flags: Record<string, string>, key: string, fallback: number): number {
  if (flags[key] === undefined) return fallback;
  const n = Number(flags[key]);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${key} must be a non-negative number, got "${flags[key]}"`);
  return n;
}

const BENCHES: BenchDefinition[] = [
  {
    name: 'latency',
    description: 'glass-to-glass latency (stamped frames read back in Chromium) and time to first frame',
    run: (ctx) =>
      runLatencyBench({
        root: ctx.root,
        settleSeconds: numberFlag(ctx.flags, 'settle', 3),
        joins: Math.max(1, Math.round(numberFlag(ctx.flags, 'joins', 3))),
        warmupSeconds: numberFlag(ctx.flags, 'warmup', 5),
        measureSeconds: numberFlag(ctx.flags, 'measure', 8),
        firstFrameRuns: Math.max(1, Math.round(numberFlag(ctx.flags, 'first-frame-runs', 5))),
        log: ctx.log,
      }),
    format: (result) => formatLatencyResult(result as Parameters<typeof formatLatencyResult>[0]),
  },
  {
    name: 'chat',
    description:
      "chat fan-out: N receivers in one room, M msg/s in; the server's CPU per delivery and per client, latency p50/p95/p99 and losses at increasing N (--steps=1000,2500,5000,10000 --single-steps= --rate=100 --senders=5 --workers=2 --client=raw|socketio --sample-every=50 --addresses=16 --idle=5 --warmup=2 --measure=10 --drain=5 --skip-after-p99=2000 --batch-ms=100 --runs=1 --variants='a:{};b:{\"messageBatchMs\":200}' --server-node-options=…)",
    run: (ctx) => runChatBench({ root: ctx.root, log: ctx.log, ...chatBenchFlags(ctx.flags) }),
    format: (result) => formatChatResult(result as Parameters<typeof formatChatResult>[0]),
  },
  {
    name: 'transcode',
    description: 'CPU seconds per minute of our transcoder per built-in profile vs the same ffmpeg command run bare, and encoder speed (--seconds=30 --warmup=5)',
    run: (ctx) =>
      runTranscodeBench({
        root: ctx.root,
        seconds: numberFlag(ctx.flags, 'seconds', 30),
        warmupSeconds: numberFlag(ctx.flags, 'warmup', 5),
        log: ctx.log,
      }),
    format: (result) => formatTranscodeResult(result as Parameters<typeof formatTranscodeResult>[0]),
  },
  {
    name: 'players',
    description: 'stock players on our LL-HLS: fresh joins of our page, stock hls.js, Shaka and video.js (VHS); glass-to-glass, first frame, freezes, time to the top rendition (--joins=10 --measure=12 --settle=3 --players=ours,hlsjs,shaka,vjs)',
    run: (ctx) =>
      runPlayersBench({
        root: ctx.root,
        joins: Math.max(1, Math.round(numberFlag(ctx.flags, 'joins', 10))),
        measureSeconds: numberFlag(ctx.flags, 'measure', 12),
        settleSeconds: numberFlag(ctx.flags, 'settle', 3),
        players: (ctx.flags.players ?? PLAYERS.join(',')).split(',').filter((p): p is PlayerName => (PLAYERS as string[]).includes(p)),
        log: ctx.log,
      }),
    format: (result) => formatPlayersResult(result as Parameters<typeof formatPlayersResult>[0]),
  },
  {
    name: 'abuse',
    description: 'RTMP abuse at full speed beside a live stream: server RSS idle/peak/after, longest gap between new parts, handshake time (--runs=3 --idle=20 --attack=20 --after=30 --garbage=300 --stalled=100 --floods=50 --publishes=300 --garbage-bytes=16384 --addresses=250 --server-node-options="--max-semi-space-size=4")',
    run: (ctx) =>
      runAbuseBench({
        root: ctx.root,
        runs: Math.max(1, Math.round(numberFlag(ctx.flags, 'runs', 3))),
        idleSeconds: numberFlag(ctx.flags, 'idle', 20),
        attackSeconds: numberFlag(ctx.flags, 'attack', 20),
        afterSeconds: numberFlag(ctx.flags, 'after', 30),
        garbageLanes: Math.round(numberFlag(ctx.flags, 'garbage', 300)),
        stalledLanes: Math.round(numberFlag(ctx.flags, 'stalled', 100)),
        floodLanes: Math.round(numberFlag(ctx.flags, 'floods', 50)),
        publishes: Math.round(numberFlag(ctx.flags, 'publishes', 300)),
        garbageBytes: Math.round(numberFlag(ctx.flags, 'garbage-bytes', 16_384)),
        addresses: Math.max(1, Math.round(numberFlag(ctx.flags, 'addresses', 250))),
        serverNodeOptions: ctx.flags['server-node-options'],
        log: ctx.log,
      }),
    format: (result) => formatAbuseResult(result as Parameters<typeof formatAbuseResult>[0]),
  },
  {
    name: 'edge',
    description: 'LL-HLS through the nginx caching edge (deploy/nginx-edge.conf): origin requests per part and per blocking reload, how much later parts arrive than directly (--viewers=20 --seconds=30 --warmup=8 --runs=3 --lock=on|off --lock-timeout=300ms)',
    run: (ctx) =>
      runEdgeBench({
        root: ctx.root,
        viewers: Math.max(1, Math.round(numberFlag(ctx.flags, 'viewers', 20))),
        seconds: numberFlag(ctx.flags, 'seconds', 30),
        warmupSeconds: numberFlag(ctx.flags, 'warmup', 8),
        runs: Math.max(1, Math.round(numberFlag(ctx.flags, 'runs', 3))),
        lock: ctx.flags.lock !== 'off',
        lockTimeout: typeof ctx.flags['lock-timeout'] === 'string' ? ctx.flags['lock-timeout'] : undefined,
        log: ctx.log,
      }),
    format: (result) => formatEdgeResult(result as Parameters<typeof formatEdgeResult>[0]),
  },
  {
    name: 'viewers',
    description: 'LL-HLS viewers per origin: N light viewers (blocking reload + part) straight on the origin, then through the nginx edge; lag behind the live edge, viewers behind, origin CPU per viewer (--direct=250,500,1000,1500 --edge=1000,2500,5000 --seconds=15 --warmup=5 --workers=2 --server-node-options="--cpu-prof")',
    run: (ctx) =>
      runViewersBench({
        root: ctx.root,
        direct: countsFlag(ctx.flags, 'direct', [250, 500, 1000, 1500]),
        edge: countsFlag(ctx.flags, 'edge', [1000, 2500, 5000]),
        seconds: numberFlag(ctx.flags, 'seconds', 15),
        warmupSeconds: numberFlag(ctx.flags, 'warmup', 5),
        workers: Math.max(1, Math.round(numberFlag(ctx.flags, 'workers', 2))),
        serverNodeOptions: ctx.flags['server-node-options'],
        log: ctx.log,
      }),
    format: (result) => formatViewersResult(result as Parameters<typeof formatViewersResult>[0]),
  },
  {
    name: 'cluster',
    description: 'HLS from a node that does not ingest the channel: extra latency per part through a proxying node and a redirecting one, and each node\'s CPU with N viewers (--parts=100 --viewers=100 --seconds=15)',
    run: (ctx) =>
      runClusterBench({
        root: ctx.root,
        parts: Math.max(1, Math.round(numberFlag(ctx.flags, 'parts', 100))),
        viewers: Math.max(1, Math.round(numberFlag(ctx.flags, 'viewers', 100))),
        seconds: numberFlag(ctx.flags, 'seconds', 15),
        log: ctx.log,
      }),
    format: (result) => formatClusterResult(result as Parameters<typeof formatClusterResult>[0]),
  },
  {
    name: 'recordings',
    description: 'what recording costs: disk bytes per hour and the server\'s CPU (Node apart from ffmpeg) with recordings of the top rendition, of all, and off, alternating (--runs=3 --seconds=30 --warmup=5 --kbps=6000)',
    run: (ctx) =>
      runRecordingsBench({
        root: ctx.root,
        runs: Math.max(1, Math.round(numberFlag(ctx.flags, 'runs', 3))),
        seconds: numberFlag(ctx.flags, 'seconds', 30),
        warmupSeconds: numberFlag(ctx.flags, 'warmup', 5),
        videoKbps: Math.max(100, Math.round(numberFlag(ctx.flags, 'kbps', 6000))),
        log: ctx.log,
      }),
    format: (result) => formatRecordingsResult(result as Parameters<typeof formatRecordingsResult>[0]),
  },
];

async function main(argv: string[]): Promise<number> {
  const flags: Record<string, string> = {};
  const names: string[] = [];
  for (const arg of argv) {
    const m = /^--([\w-]+)(?:=(.*))?$/.exec(arg);
    if (m) flags[m[1]] = m[2] ?? 'true';
    else names.push(arg);
  }
  if (flags.help) {
    process.stdout.write(`usage: node dist/scripts/bench.js [${BENCHES.map((b) => b.name).join('|')}]... [--key=value]\n`);
    for (const b of BENCHES) process.stdout.write(`  ${b.name.padEnd(12)}${b.description}\n`);
    return 0;
  }
  const unknown = names.filter((n) => !BENCHES.some((b) => b.name === n));
  if (unknown.length) {
    process.stderr.write(`bench: unknown bench ${unknown.join(', ')} (have: ${BENCHES.map((b) => b.name).join(', ')})\n`);
    return 2;
  }
  const chosen = names.length ? BENCHES.filter((b) => names.includes(b.name)) : BENCHES;
  // The servers run in process groups of their own and nginx without a master: if the runner is
  // killed (Ctrl-C, timeout), take them down with it rather than leave them eating the machine.
  const killChildren = (): void => {
    LiveroomProcess.killAllSync();
    killAllNginxSync();
  };
  process.on('exit', killChildren);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      killChildren();
      process.stderr.write(`bench: ${signal}, servers and nginx killed\n`);
      process.exit(130);
    });
  }
  const root = path.resolve(__dirname, '..', '..');
  const outDir = path.join(root, 'bench-results');
  let failed = 0;
  for (const bench of chosen) {
    const log = (line: string): void => {
      process.stderr.write(`[${bench.name}] ${line}\n`);
    };
    try {
      const result = await bench.run({ root, flags, log });
      fs.mkdirSync(outDir, { recursive: true });
      const file = path.join(outDir, `${bench.name}.json`);
      fs.writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
      process.stdout.write(`\n${bench.format(result)}\n\nresults: ${path.relative(process.cwd(), file) || file}\n`);
    } catch (err) {
      failed++;
      process.stderr.write(`[${bench.name}] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    }
  }
  return failed ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
