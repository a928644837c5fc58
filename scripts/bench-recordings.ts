/**
 * What recording costs: the real server (`node dist/server/main.js`, default
 * ladder: source copied + 360p encoded) gets a 720p30 CBR publisher (OBS-like,
 * bench/cbr-publisher.ts) over RTMP for warmup + `seconds`, with recordings of the `top` rendition, of `all`, and
 * off, one run of each in turn, `runs` times. Per run: the broadcast folder's
 * bytes over the recorded duration (disk per hour), and over a window of
 * steady publishing the CPU seconds of the server's own Node process and,
 * apart, of its ffmpeg children (from /proc).
 *
 *   node dist/scripts/bench.js recordings [--runs=3] [--seconds=30] [--warmup=5] [--kbps=6000]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveFfmpegPath } from '../transcoder/ffmpeg-path';
import type { ReplayList } from '../recordings/replay-types';
import { LiveroomProcess, sleep } from './bench/liveroom-process';
import { cpuSecondsByTree } from './bench/proc-cpu';
import { CbrPublisher } from './bench/cbr-publisher';
import { median } from './bench/stats';

export type RecordingMode = 'top' | 'all' | 'off';
export const RECORDING_MODES: RecordingMode[] = ['top', 'all', 'off'];

export interface RecordingsBenchOptions {
  root: string;
  runs: number;
  /** Measured seconds of steady publishing (CPU window). */
  seconds: number;
  /** Publishing before the window opens (start-up, first segments). */
  warmupSeconds: number;
  /** The publisher's video bitrate, kbit/s. */
  videoKbps: number;
  log: (line: string) => void;
}

export interface RecordingsRun {
  mode: RecordingMode;
  run: number;
  /** Seconds of media recorded (the index's duration; 0 when off). */
  recordedSeconds: number;
  /** Bytes of the broadcast's folder: every recorded rendition's files and the thumbnail. */
  folderBytes: number;
  /** folderBytes per hour of media. */
  bytesPerHour: number;
  /** CPU seconds in the window: the server's Node process alone, and its ffmpeg children. */
  serverCpuSeconds: number;
  ffmpegCpuSeconds: number;
  windowSeconds: number;
}

export interface ModeSummary {
  mode: RecordingMode;
  runs: number;
  bytesPerHour: { median: number; min: number; max: number };
  serverCpuSeconds: { median: number; min: number; max: number };
  ffmpegCpuSeconds: { median: number; min: number; max: number };
}

export interface RecordingsBenchResult {
  machine: { cpus: number; model: string; loadAvg1AtEnd: number };
  options: Omit<RecordingsBenchOptions, 'root' | 'log'>;
  runs: RecordingsRun[];
  summary: ModeSummary[];
}

function folderBytes(dir: string): number {
  let total = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    total += e.isDirectory() ? folderBytes(p) : fs.statSync(p).size;
  }
  return total;
}

async function latestReplay(server: LiveroomProcess): Promise<ReplayList['replays'][number] | undefined> {
  const res = await fetch(`${server.httpOrigin}/api/channels/live/replays?limit=1`);
  return res.ok ? ((await res.json()) as ReplayList).replays[0] : undefined;
}

async function waitFor<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    await sleep(200);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function liveSince(server: LiveroomProcess): Promise<true | undefined> {
  const res = await fetch(`${server.httpOrigin}/hls/live/master.m3u8`);
  await res.arrayBuffer();
  return res.ok ? true : undefined;
}

function cpuOf(pid: number): { server: number; ffmpeg: number } {
  const byComm = cpuSecondsByTree({ server: pid });
  let server = 0;
  let ffmpeg = 0;
  for (const [key, seconds] of Object.entries(byComm)) {
    if (key === 'server:ffmpeg') ffmpeg += seconds;
    else server += seconds;
  }
  return { server, ffmpeg };
}

async function runOne(opts: RecordingsBenchOptions, mode: RecordingMode, run: number): Promise<RecordingsRun> {
  const configFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lr-bench-rec-')), 'config.json');
  const recordings = mode === 'off' ? { enabled: false } : { enabled: true, renditions: mode };
  // The broadcast ends as the publisher stops (no reconnect grace), so its recording closes at once.
  fs.writeFileSync(configFile, JSON.stringify({ recordings, hls: { reconnectGraceMs: 0 } }));
  const server = new LiveroomProcess({ root: opts.root, env: { LIVEROOM_CONFIG: configFile } });
  const publisher = new CbrPublisher({ ffmpegPath: resolveFfmpegPath(), rtmpUrl: () => server.rtmpUrl(), videoKbps: opts.videoKbps });
  try {
    await server.start();
    const pid = server.pid!;
    publisher.start();
    await waitFor('the channel to go live', 30_000, () => liveSince(server));
    await sleep(opts.warmupSeconds * 1000);
    const before = cpuOf(pid);
    const t0 = Date.now();
    await sleep(opts.seconds * 1000);
    const after = cpuOf(pid);
    const windowSeconds = (Date.now() - t0) / 1000;
    if (!publisher.running) throw new Error(`the publisher ended early: ${publisher.stderr}`);
    await publisher.stop();
    let recordedSeconds = 0;
    let bytes = 0;
    if (mode !== 'off') {
      const rec = await waitFor('the recording to close with its thumbnail', 30_000, async () => {
        const r = await latestReplay(server);
        return r?.endedAt && r.thumbnail ? r : undefined;
      });
      recordedSeconds = rec.duration;
      bytes = folderBytes(path.join(server.dataFolder, 'recordings', 'live', rec.id));
    } else {
      await sleep(2000);
      if (await latestReplay(server)) throw new Error('recordings are off but a replay is listed');
    }
    return {
      mode,
      run,
      recordedSeconds,
      folderBytes: bytes,
      bytesPerHour: recordedSeconds > 0 ? (bytes / recordedSeconds) * 3600 : 0,
      serverCpuSeconds: after.server - before.server,
      ffmpegCpuSeconds: after.ffmpeg - before.ffmpeg,
      windowSeconds,
    };
  } catch (err) {
    throw new Error(`${(err as Error).message}\npublisher: ${publisher.stderr.trim() || '-'}\nserver log:\n${server.logLines.slice(-10).join('\n')}`);
  } finally {
    await publisher.stop();
    await server.stop();
    fs.rmSync(path.dirname(configFile), { recursive: true, force: true });
  }
}

const spread = (values: number[]) => ({ median: median(values), min: Math.min(...values), max: Math.max(...values) });

export async function runRecordingsBench(opts: RecordingsBenchOptions): Promise<RecordingsBenchResult> {
  const runs: RecordingsRun[] = [];
  for (let run = 1; run <= opts.runs; run++) {
    for (const mode of RECORDING_MODES) {
      opts.log(`run ${run}/${opts.runs}: recordings ${mode}`);
      const r = await runOne(opts, mode, run);
      opts.log(
        `  ${(r.bytesPerHour / 1e9).toFixed(2)} GB/h (${r.folderBytes} B over ${r.recordedSeconds.toFixed(1)} s), server ${r.serverCpuSeconds.toFixed(2)} s, ffmpeg ${r.ffmpegCpuSeconds.toFixed(2)} s CPU in ${r.windowSeconds.toFixed(1)} s`,
      );
      runs.push(r);
    }
  }
  const summary = RECORDING_MODES.map((mode): ModeSummary => {
    const of = runs.filter((r) => r.mode === mode);
    return {
      mode,
      runs: of.length,
      bytesPerHour: spread(of.map((r) => r.bytesPerHour)),
      serverCpuSeconds: spread(of.map((r) => r.serverCpuSeconds)),
      ffmpegCpuSeconds: spread(of.map((r) => r.ffmpegCpuSeconds)),
    };
  });
  const { root: _root, log: _log, ...options } = opts;
  return { machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? '', loadAvg1AtEnd: os.loadavg()[0] }, options, runs, summary };
}

export function formatRecordingsResult(r: RecordingsBenchResult): string {
  const f = (s: { median: number; min: number; max: number }, digits: number, scale = 1) =>
    `${(s.median / scale).toFixed(digits)} (${(s.min / scale).toFixed(digits)}–${(s.max / scale).toFixed(digits)})`;
  return [
    `Recordings: ${r.options.runs} runs per mode, ${r.options.seconds} s CPU window after ${r.options.warmupSeconds} s of publishing 720p30 CBR at ${r.options.videoKbps} kbit/s video + 128 kbit/s audio; default ladder (source copied + 360p); ${r.machine.cpus} CPUs (${r.machine.model}), load ${r.machine.loadAvg1AtEnd.toFixed(1)} at the end`,
    '',
    '| recordings | disk GB per hour, median (range) | server Node CPU s, median (range) | ffmpeg CPU s, median (range) |',
    '| --- | --- | --- | --- |',
    ...r.summary.map((s) => `| ${s.mode} | ${s.mode === 'off' ? '-' : f(s.bytesPerHour, 2, 1e9)} | ${f(s.serverCpuSeconds, 2)} | ${f(s.ffmpegCpuSeconds, 1)} |`),
  ].join('\n');
}
