/**
 * Transcoder cost: CPU seconds per minute of stream for each built-in profile,
 * our transcoder (the server's ffmpeg child, fed by RTMP ingest) against the
 * same ffmpeg command run bare (same arguments, same FLV fed on stdin, outputs
 * to /dev/null), side by side in one run, plus the Node server's own CPU and
 * the encoder speed (real time, and flat out from a file).
 *
 *   node dist/scripts/bench-transcode.js [--seconds=30] [--warmup=5] [--profiles=default,abr-3]
 *
 * The bench runner (scripts/bench.ts) calls runTranscodeBench().
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chooseEncoder, EncoderProbe } from '../transcoder/encoder-probe';
import { buildFfmpegCommand, flattenCommand, planLadder } from '../transcoder/ffmpeg-args';
import { resolveFfmpegPath } from '../transcoder/ffmpeg-path';
import { BUILTIN_PROFILES, builtinProfile } from '../transcoder/profiles';

export interface TranscodeBenchOptions {
  /** Repository root (holds dist/server/main.js). */
  root: string;
  /** Measured seconds per run. */
  seconds?: number;
  warmupSeconds?: number;
  profiles?: string[];
  /** Source picture size; 1280x720 so every rung of abr-3 is encoded. */
  size?: string;
  log?: (line: string) => void;
}

export interface TranscodeBenchRow {
  profile: string;
  renditions: string;
  encoder: string;
  /** CPU seconds per minute of stream. */
  ours: { ffmpeg: number; node: number; speed: number | null };
  bare: { ffmpeg: number; speed: number | null };
  /** ours.ffmpeg / bare.ffmpeg (target ≤ 1.05). */
  ratio: number;
  /** (ours.ffmpeg + ours.node) / bare.ffmpeg: the whole server against ffmpeg alone. */
  ratioWithNode: number;
  /** Speed of the bare command on a file, not paced: how much faster than real time this machine encodes the ladder. */
  maxSpeed: number | null;
}

export interface TranscodeBenchResult {
  machine: { cpus: number; model: string };
  source: string;
  seconds: number;
  rows: TranscodeBenchRow[];
}

const TICKS = 100; // USER_HZ
const STREAM_KEY = 'bench-transcode-key-0001';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** utime + stime of one process (not its children), seconds. */
function cpuSeconds(pid: number): number {
  const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / TICKS;
}

function childrenNamed(ppid: number, comm: string): number[] {
  const out: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const text = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const name = text.slice(text.indexOf('(') + 1, text.lastIndexOf(')'));
      const ppidOf = Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppidOf === ppid && name === comm) out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}

async function freePort(): Promise<number> {
  const s = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => s.once('listening', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

function run(cmd: string, args: string[], opts: { stdin?: 'pipe' | 'ignore' } = {}): { proc: ChildProcess; stderr: () => string; exited: Promise<number | null> } {
  const proc = spawn(cmd, args, { stdio: [opts.stdin ?? 'ignore', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => {
    err += d;
    if (err.length > 20_000) err = err.slice(-10_000);
  });
  return { proc, stderr: () => err, exited: new Promise((r) => proc.once('close', (c) => r(c))) };
}

const lastSpeed = (stderr: string) => {
  const all = [...stderr.matchAll(/speed=\s*([\d.]+)x/g)];
  return all.length ? Number(all[all.length - 1][1]) : null;
};

/** CPU per minute of `pids` over `seconds`, after `warmup`. */
async function measure(pids: number[], warmup: number, seconds: number): Promise<number[]> {
  await sleep(warmup * 1000);
  const before = pids.map(cpuSeconds);
  const t0 = Date.now();
  await sleep(seconds * 1000);
  const after = pids.map(cpuSeconds);
  const wall = (Date.now() - t0) / 1000;
  return after.map((a, i) => ((a - before[i]) / wall) * 60);
}

async function stopProc(p: { proc: ChildProcess; exited: Promise<number | null> }) {
  if (p.proc.exitCode === null && p.proc.signalCode === null) p.proc.kill('SIGTERM');
  const t = setTimeout(() => p.proc.kill('SIGKILL'), 5000);
  await p.exited;
  clearTimeout(t);
}

export async function runTranscodeBench(opts: TranscodeBenchOptions): Promise<TranscodeBenchResult> {
  const seconds = opts.seconds ?? 30;
  const warmup = opts.warmupSeconds ?? 5;
  const size = opts.size ?? '1280x720';
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const ff = resolveFfmpegPath();
  const names = opts.profiles ?? BUILTIN_PROFILES.map((p) => p.name);
  const [w, h] = size.split('x').map(Number);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'liveroom-bench-transcode-'));
  const sourceFile = path.join(dir, 'source.flv');
  const rows: TranscodeBenchRow[] = [];

  // A 20 s source looped: what OBS sends (x264 veryfast CBR 3 Mb/s, 1 s keyframes, AAC).
  log(`encoding a ${size} test source…`);
  const gen = run(ff, [
    '-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=30`, '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-t', '20', '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-g', '30', '-keyint_min', '30', '-sc_threshold', '0',
    '-b:v', '3000k', '-maxrate', '3000k', '-bufsize', '3000k', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '128k', '-f', 'flv', sourceFile,
  ]);
  if ((await gen.exited) !== 0) throw new Error(`cannot encode the test source: ${gen.stderr()}`);
  const feedArgs = (paced: boolean, out: string) => [
    '-hide_banner', '-loglevel', 'error', ...(paced ? ['-re', '-stream_loop', '-1'] : []), '-i', sourceFile, '-c', 'copy', '-f', 'flv', out,
  ];

  const probe = new EncoderProbe({ ffmpegPath: ff, device: '/dev/dri/renderD128', timeoutMs: 15_000 });
  const report = await probe.report();

  const [httpPort, rtmpPort] = [await freePort(), await freePort()];
  const dataDir = path.join(dir, 'data');
  const server = spawn(process.execPath, [path.join(opts.root, 'dist', 'server', 'main.js')], {
    env: {
      ...process.env, LIVEROOM_DATA_DIR: dataDir, LIVEROOM_HTTP_PORT: String(httpPort), LIVEROOM_HTTP_HOST: '127.0.0.1',
      LIVEROOM_RTMP_PORT: String(rtmpPort), LIVEROOM_RTMP_HOST: '127.0.0.1', LIVEROOM_STREAM_KEY: STREAM_KEY, LIVEROOM_LOG_LEVEL: 'warn', LIVEROOM_CONFIG: '',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let serverErr = '';
  server.stderr!.on('data', (d) => (serverErr += d));
  const serverExited = new Promise<void>((r) => server.once('close', () => r()));
  const base = `http://127.0.0.1:${httpPort}`;
  try {
    const ready = Date.now() + 20_000;
    while (!(await fetch(`${base}/api/channels/live`).then((r) => r.ok, () => false))) {
      if (server.exitCode !== null || Date.now() > ready) throw new Error(`the server did not start: ${serverErr}`);
      await sleep(100);
    }
    const token = fs.readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();
    const admin = (method: string, p: string, body?: unknown) =>
      fetch(`${base}/api/admin${p}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) }).then((r) => r.json() as Promise<any>);

    for (const name of names) {
      const profile = builtinProfile(name);
      if (!profile) throw new Error(`no built-in profile '${name}'`);
      const source = { width: w, height: h, frameRate: 30, videoCodec: 'h264', audioCodec: 'aac', videoKbps: 3000, audioKbps: 128 };
      const ladder = planLadder(profile, source).renditions;
      const { setup } = chooseEncoder(profile.encoder, report);
      const renditions = ladder.map((r) => (r.spec.copy ? `${r.spec.name}(copy)` : `${r.width}x${r.height}`)).join(' + ');

      // Ours: RTMP publish → ingest → the server's ffmpeg.
      log(`${name}: our transcoder…`);
      await admin('PUT', '/channels/live/profile', { profile: name });
      const publisher = run(ff, feedArgs(true, `rtmp://127.0.0.1:${rtmpPort}/live/${STREAM_KEY}`));
      let ours: TranscodeBenchRow['ours'];
      try {
        let ffPid: number | undefined;
        const until = Date.now() + 20_000;
        while (!ffPid || !(await admin('GET', '/status?channel=live')).channels[0].live) {
          if (Date.now() > until) throw new Error(`${name}: the channel did not go live: ${publisher.stderr()} ${serverErr}`);
          await sleep(200);
          ffPid = childrenNamed(server.pid!, 'ffmpeg')[0];
        }
        const [ffCpu, nodeCpu] = await measure([ffPid, server.pid!], warmup, seconds);
        const status = (await admin('GET', '/status?channel=live')).channels[0];
        ours = { ffmpeg: ffCpu, node: nodeCpu, speed: status.encoder?.speed ?? null };
      } finally {
        await stopProc(publisher);
      }
      while ((await admin('GET', '/status?channel=live')).channels[0].publishing || childrenNamed(server.pid!, 'ffmpeg').length) await sleep(200);

      // Bare: the same arguments, the same FLV on stdin, paced the same way.
      log(`${name}: the same ffmpeg command, bare…`);
      const cmd = buildFfmpegCommand({ ladder, source, outputs: ladder.map(() => '/dev/null'), partTarget: 0.2, encoder: setup, keyframes: profile.keyframes });
      const bareArgs = ['-hide_banner', '-loglevel', 'warning', '-stats', '-nostdin', '-y', ...flattenCommand(cmd)];
      const feed = run(ff, feedArgs(true, 'pipe:1'));
      const bare = run(ff, bareArgs, { stdin: 'pipe' });
      feed.proc.stdout!.pipe(bare.proc.stdin!);
      bare.proc.stdin!.on('error', () => {});
      let bareCpu: number;
      try {
        [bareCpu] = await measure([bare.proc.pid!], warmup + 1, seconds);
      } finally {
        await stopProc(feed);
        await stopProc(bare);
      }

      // Flat out: 20 s of the source as fast as the machine encodes the ladder.
      const fastFeed = run(ff, feedArgs(false, 'pipe:1'));
      const fast = run(ff, bareArgs, { stdin: 'pipe' });
      fastFeed.proc.stdout!.pipe(fast.proc.stdin!);
      fast.proc.stdin!.on('error', () => {});
      await fast.exited;
      await fastFeed.exited;

      const row: TranscodeBenchRow = {
        profile: name,
        renditions,
        encoder: ladder.some((r) => !r.spec.copy) ? setup.encoder : 'none',
        ours,
        bare: { ffmpeg: bareCpu, speed: lastSpeed(bare.stderr()) },
        ratio: bareCpu > 0 ? ours.ffmpeg / bareCpu : NaN,
        ratioWithNode: bareCpu > 0 ? (ours.ffmpeg + ours.node) / bareCpu : NaN,
        maxSpeed: lastSpeed(fast.stderr()),
      };
      log(`${name}: ours ${row.ours.ffmpeg.toFixed(2)} + node ${row.ours.node.toFixed(2)} cpu-s/min, bare ${row.bare.ffmpeg.toFixed(2)}, ratio ${row.ratio.toFixed(3)}`);
      rows.push(row);
    }
  } finally {
    probe.stop();
    if (server.exitCode === null) server.kill('SIGTERM');
    await serverExited;
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return { machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? '' }, source: `${size}@30 x264 3 Mb/s + AAC 128k, 1 s keyframes`, seconds, rows };
}

export function formatTranscodeResult(r: TranscodeBenchResult): string {
  const f = (n: number | null, d = 2) => (n === null || !Number.isFinite(n) ? '-' : n.toFixed(d));
  const head = ['profile', 'renditions', 'encoder', 'ours ffmpeg', 'bare ffmpeg', 'ratio', 'node', 'ratio+node', 'speed ours/bare', 'max speed'];
  const rows = r.rows.map((x) => [
    x.profile, x.renditions, x.encoder, f(x.ours.ffmpeg), f(x.bare.ffmpeg), f(x.ratio, 3), f(x.ours.node), f(x.ratioWithNode, 3),
    `${f(x.ours.speed)}x/${f(x.bare.speed)}x`, x.maxSpeed === null ? '-' : `${f(x.maxSpeed, 1)}x`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [
    `Transcoder CPU, seconds per minute of stream (${r.machine.cpus} × ${r.machine.model}; source ${r.source}; ${r.seconds} s per run)`,
    line(head),
    ...rows.map(line),
    'ratio = ours ffmpeg / bare ffmpeg (target ≤ 1.05); node = the server process itself (ingest, packager, HTTP)',
  ].join('\n');
}

if (require.main === module) {
  const flags = Object.fromEntries(process.argv.slice(2).map((a) => /^--([\w-]+)=(.*)$/.exec(a)).filter((m) => m !== null).map((m) => [m![1], m![2]]));
  runTranscodeBench({
    root: path.resolve(__dirname, '..', '..'),
    seconds: flags.seconds ? Number(flags.seconds) : undefined,
    warmupSeconds: flags.warmup ? Number(flags.warmup) : undefined,
    profiles: flags.profiles?.split(','),
    size: flags.size,
  }).then(
    (result) => process.stdout.write(`${formatTranscodeResult(result)}\n${JSON.stringify(result)}\n`),
    (err: Error) => {
      process.stderr.write(`bench-transcode: ${err.stack ?? err.message}\n`);
      process.exitCode = 1;
    },
  );
}
