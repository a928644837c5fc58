import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { parseConfig } from '../../server/config-loader';
import type { LiveroomConfigInput } from '../../core/config-schema';
import { Liveroom, type StartedInfo } from '../../server/liveroom';
import { resolveFfmpegPath } from '../../transcoder/ffmpeg-path';

export const STREAM_KEY = 'test-stream-key-0001';

export interface Harness {
  room: Liveroom;
  info: StartedInfo;
  /** http://127.0.0.1:PORT, or https:// with 'http.tls'. */
  base: string;
  rtmp: string;
  /** rtmps://127.0.0.1:PORT/live with 'http.tls', else ''. */
  rtmps: string;
  dataDir: string;
  stop(): Promise<void>;
}

/** The whole server, in process, on free ports and a fresh data folder. */
export async function startLiveroom(overrides: LiveroomConfigInput = {}): Promise<Harness> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'liveroom-test-'));
  const config = parseConfig({
    dataDir,
    streamKey: STREAM_KEY,
    logLevel: 'silent',
    ...overrides,
    rtmp: { port: 0, tlsPort: 0, host: '127.0.0.1', ...overrides.rtmp },
    http: { port: 0, host: '127.0.0.1', ...overrides.http },
    // Most tests watch a broadcast end when the publisher stops; the reconnect tests set the grace themselves.
    hls: { reconnectGraceMs: 0, ...overrides.hls },
  });
  const room = new Liveroom(config, pino({ level: process.env.LR_TEST_LOG ?? 'silent' }));
  const info = await room.start();
  return {
    room,
    info,
    base: `${info.tls ? 'https' : 'http'}://127.0.0.1:${info.httpPort}`,
    rtmp: `rtmp://127.0.0.1:${info.rtmpPort}/live`,
    rtmps: info.tls ? `rtmps://127.0.0.1:${info.rtmpsPort}/live` : '',
    dataDir,
    stop: async () => {
      await room.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Publisher {
  proc: ChildProcess;
  /** Resolves with ffmpeg's exit code. */
  exited: Promise<number | null>;
  stderr(): string;
  stop(): Promise<number | null>;
}

/** A real RTMP publisher: ffmpeg encoding a test pattern and a tone in real time, 1 s keyframe interval (as we tell OBS users). */
export function publish(url: string, opts: { size?: string; seconds?: number } = {}): Publisher {
  const args = [
    '-hide_banner', '-loglevel', 'error', '-re',
    '-f', 'lavfi', '-i', `testsrc2=size=${opts.size ?? '854x480'}:rate=30`,
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    ...(opts.seconds ? ['-t', String(opts.seconds)] : []),
    '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '30', '-keyint_min', '30', '-pix_fmt', 'yuv420p',
    '-c:a', 'aac', '-b:a', '96k',
    '-f', 'flv', url,
  ];
  const proc = spawn(resolveFfmpegPath(), args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return {
    proc,
    exited,
    stderr: () => err,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      return exited;
    },
  };
}

/** Polls until `fn` returns a truthy value (or throws after `timeoutMs`). */
export async function until<T>(fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const end = Date.now() + timeoutMs;
  let lastErr: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      lastErr = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${lastErr ? `: ${(lastErr as Error).message}` : ''}`);
}

export async function getText(url: string): Promise<{ status: number; text: string; headers: Headers }> {
  const res = await fetch(url);
  return { status: res.status, text: await res.text(), headers: res.headers };
}

/**
 * The channel's media playlist URLs by rendition name, read from its multivariant playlist
 * (media URIs name the broadcast: /hls/<channel>/<broadcast>/<rendition>/index.m3u8).
 */
export async function renditionUrls(base: string, channel = 'live'): Promise<Record<string, string>> {
  const master = `${base}/hls/${channel}/master.m3u8`;
  const res = await fetch(master);
  if (res.status !== 200) throw new Error(`${master}: ${res.status}`);
  const lines = (await res.text()).trim().split('\n');
  const out: Record<string, string> = {};
  lines.forEach((line, i) => {
    if (!line.startsWith('#EXT-X-STREAM-INF:')) return;
    const url = new URL(lines[i + 1], master).href;
    out[url.split('/').at(-2)!] = url;
  });
  return out;
}

/** One rendition's media playlist URL (see renditionUrls). */
export async function renditionUrl(base: string, rendition: string, channel = 'live'): Promise<string> {
  const url = (await renditionUrls(base, channel))[rendition];
  if (!url) throw new Error(`no rendition ${rendition} on ${channel}`);
  return url;
}
