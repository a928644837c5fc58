import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from '../core/logger';
import { LIBX264, probeArgs, type EncoderSetup, type GpuScaler } from './encoder-args';
import type { EncoderChoice, H264Encoder } from './profiles';

/** What the probe learned about one H.264 encoder. */
export interface EncoderStatus {
  encoder: H264Encoder;
  hardware: boolean;
  /** `ffmpeg -encoders` lists it. */
  listed: boolean;
  /** A one-second test encode with our argument set succeeded. */
  works: boolean;
  /** Why it works or not, in one sentence. */
  reason: string;
  /** How a live run drives it (set when it works). */
  setup?: EncoderSetup;
  /** Test encode wall time, ms. */
  testMs?: number;
}

export interface EncoderReport {
  ffmpegPath: string;
  ffmpegVersion: string;
  encoders: EncoderStatus[];
  /** What `auto` picks: the first working hardware encoder, else libx264. */
  auto: H264Encoder;
  autoReason: string;
  probedAt: number;
}

export interface ProbeOptions {
  ffmpegPath: string;
  /** VAAPI / QSV render node. */
  device: string;
  /** Per test encode. */
  timeoutMs: number;
  log?: Logger;
}

/** Hardware preference for `auto`. */
const HARDWARE: H264Encoder[] = ['h264_nvenc', 'h264_qsv', 'h264_vaapi'];
const ALL: H264Encoder[] = ['libx264', ...HARDWARE];

interface RunResult {
  code: number | null;
  out: string;
  err: string;
  ms: number;
}

/** The setups worth a test encode for an encoder, best first, given the filters this build has. */
export function candidateSetups(encoder: H264Encoder, filters: Set<string>, options: string[], device: string): EncoderSetup[] | string {
  const gpu = (scaler: GpuScaler): EncoderSetup => ({ encoder, frames: 'gpu', scaler, device, options });
  switch (encoder) {
    case 'libx264':
      return [{ ...LIBX264, options }];
    case 'h264_nvenc': {
      const cuda = (['scale_cuda', 'scale_npp'] as const).filter((f) => filters.has(f)).map((f) => ({ ...gpu(f), device: undefined }));
      return [...cuda, { encoder, frames: 'system', options }];
    }
    case 'h264_vaapi':
      return filters.has('scale_vaapi') && filters.has('hwupload') ? [gpu('scale_vaapi')] : 'this ffmpeg build lacks the scale_vaapi or hwupload filter';
    case 'h264_qsv': {
      const scaler = (['scale_qsv', 'vpp_qsv'] as const).find((f) => filters.has(f));
      return scaler && filters.has('hwupload') ? [gpu(scaler)] : 'this ffmpeg build lacks the scale_qsv / vpp_qsv filter';
    }
  }
}

/** The lines of ffmpeg's stderr that say what went wrong, without the context prefixes. */
export function failureReason(stderr: string, code: number | null): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.replace(/^\[[^\]]+ @ 0x[0-9a-f]+\]\s*/, '').trim())
    .filter((l) => l && !/^(Conversion failed!|Error initializing output stream|Error while opening encoder)/.test(l));
  const text = lines.slice(0, 2).join(' / ') || (code === null ? 'timed out' : `ffmpeg exited with code ${code}`);
  return text.length > 240 ? `${text.slice(0, 237)}…` : text;
}

const describeSetup = (s: EncoderSetup) => (s.frames === 'gpu' ? `frames on the GPU, ${s.scaler}` : 'software scaling');

/**
 * Learns which H.264 encoders really work here: listed by `ffmpeg -encoders`,
 * then proven by a one-second test encode with the same arguments a live run
 * uses. Runs once at start; `report()` waits for it.
 */
export class EncoderProbe {
  private result?: Promise<EncoderReport>;
  private readonly children = new Set<ChildProcess>();
  private stopped = false;

  constructor(private readonly opts: ProbeOptions) {}

  start(): void {
    this.result ??= this.probe().then((report) => {
      this.log(report);
      return report;
    });
    this.result.catch(() => {});
  }

  report(): Promise<EncoderReport> {
    this.start();
    return this.result!;
  }

  stop(): void {
    this.stopped = true;
    for (const c of this.children) c.kill('SIGKILL');
  }

  private async probe(): Promise<EncoderReport> {
    const [encoders, filters, version] = await Promise.all([
      this.run(['-hide_banner', '-encoders']),
      this.run(['-hide_banner', '-filters']),
      this.run(['-hide_banner', '-version']),
    ]);
    const listed = new Set([...encoders.out.matchAll(/^\s*V\S{5}\s+(\S+)/gm)].map((m) => m[1]));
    const filterNames = new Set([...filters.out.matchAll(/^\s*\S{3}\s+(\S+)\s+\S+->\S+/gm)].map((m) => m[1]));
    const statuses = await Promise.all(ALL.map((e) => this.probeOne(e, listed.has(e), filterNames)));
    const hw = HARDWARE.map((e) => statuses.find((s) => s.encoder === e)!);
    const chosen = hw.find((s) => s.works);
    const autoReason = chosen
      ? `${chosen.encoder} passed its test encode (${describeSetup(chosen.setup!)})`
      : `no hardware encoder works here (${hw.map((s) => `${s.encoder}: ${s.reason}`).join('; ')})`;
    return {
      ffmpegPath: this.opts.ffmpegPath,
      ffmpegVersion: /ffmpeg version (\S+)/.exec(version.out)?.[1] ?? 'unknown',
      encoders: statuses,
      auto: chosen?.encoder ?? 'libx264',
      autoReason,
      probedAt: Date.now(),
    };
  }

  private async probeOne(encoder: H264Encoder, listed: boolean, filters: Set<string>): Promise<EncoderStatus> {
    const hardware = encoder !== 'libx264';
    if (!listed) return { encoder, hardware, listed, works: false, reason: 'not in this ffmpeg build (`ffmpeg -encoders` does not list it)' };
    const help = await this.run(['-hide_banner', '-h', `encoder=${encoder}`]);
    const options = [...help.out.matchAll(/^\s{2}-([\w-]+)\s+</gm)].map((m) => m[1]);
    const setups = candidateSetups(encoder, filters, options, this.opts.device);
    if (typeof setups === 'string') return { encoder, hardware, listed, works: false, reason: setups };
    const failures: string[] = [];
    for (const setup of setups) {
      const r = await this.run(probeArgs(setup));
      if (r.code === 0) {
        return { encoder, hardware, listed, works: true, reason: `test encode passed in ${r.ms} ms (${describeSetup(setup)})`, setup, testMs: r.ms };
      }
      failures.push(`${setups.length > 1 ? `${describeSetup(setup)}: ` : ''}${failureReason(r.err, r.code)}`);
    }
    return { encoder, hardware, listed, works: false, reason: `test encode failed: ${failures.join('; ')}` };
  }

  private run(args: string[]): Promise<RunResult> {
    const started = Date.now();
    return new Promise((resolve) => {
      if (this.stopped) return resolve({ code: null, out: '', err: 'probe stopped', ms: 0 });
      const child = spawn(this.opts.ffmpegPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      this.children.add(child);
      let out = '';
      let err = '';
      child.stdout!.on('data', (d) => (out += d));
      child.stderr!.on('data', (d) => (err += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), this.opts.timeoutMs);
      const done = (code: number | null) => {
        clearTimeout(timer);
        this.children.delete(child);
        resolve({ code, out, err, ms: Date.now() - started });
      };
      child.once('error', (e) => {
        err += e.message;
        done(-1);
      });
      child.once('close', (code) => done(code));
    });
  }

  private log(report: EncoderReport) {
    const log = this.opts.log;
    if (!log) return;
    for (const s of report.encoders) log.debug({ encoder: s.encoder, works: s.works, reason: s.reason }, 'encoder probe');
    log.info(
      { auto: report.auto, working: report.encoders.filter((s) => s.works).map((s) => s.encoder) },
      `H.264 encoder for 'auto': ${report.auto}, because ${report.autoReason}`,
    );
  }
}

/** The setup a profile's encoder choice runs with here, and why. */
export function chooseEncoder(choice: EncoderChoice, report: EncoderReport): { setup: EncoderSetup; reason: string } {
  const status = (e: H264Encoder) => report.encoders.find((s) => s.encoder === e);
  const x264 = status('libx264')?.setup ?? LIBX264;
  if (choice === 'auto') {
    const why = report.auto === 'libx264' ? 'no hardware encoder works here (see `liveroom encoders`)' : `${report.auto} passed its test encode`;
    return { setup: status(report.auto)?.setup ?? x264, reason: `auto: ${why}` };
  }
  const wanted = status(choice);
  if (wanted?.works && wanted.setup) return { setup: wanted.setup, reason: `the profile asks for ${choice}` };
  return { setup: x264, reason: `the profile asks for ${choice}, which does not work here (${wanted?.reason ?? 'not probed'}): using libx264` };
}
