import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Readable } from 'node:stream';
import ffmpeg from 'fluent-ffmpeg';
import { fail } from '../core/errors';
import type { FlvFeed } from '../core/events';
import type { Logger } from '../core/logger';
import type { FfmpegCommand } from './ffmpeg-args';

export interface RunExit {
  code: number | null;
  signal: string | null;
  /** Why the run never got going (temp folder, socket, spawn), when it failed before ffmpeg ran. */
  error?: string;
}

/** sun_path is 108 bytes on Linux (104 on macOS); Node silently truncates a longer path, and ffmpeg then connects nowhere. */
const MAX_SOCKET_PATH = 103;

export interface RunOptions {
  ffmpegPath: string;
  command: FfmpegCommand;
  feed: FlvFeed;
  log: Logger;
  killTimeoutMs: number;
  /** Makes this run's own temp folder (its output sockets go there); removed when the run ends. */
  makeDir(): string;
  /** Called once per rendition when ffmpeg connects its output socket. */
  onOutput(index: number, stream: Readable): void;
  /** Progress as ffmpeg reports it (`speed=1.01x`). */
  onProgress?(p: { fps: number; speed: number; kbps: number }): void;
  /** Bytes of FLV fed to ffmpeg (input bitrate). */
  onInput?(bytes: number): void;
}

/**
 * One ffmpeg process: FLV in on stdin, one fragmented-MP4 stream per rendition
 * out over local sockets (fluent-ffmpeg cannot open extra stdio pipes). Stops
 * gracefully by ending stdin, then escalates to SIGTERM and SIGKILL.
 */
export class TranscoderRun {
  readonly exited: Promise<RunExit>;
  private proc?: ffmpeg.FfmpegCommand;
  private readonly servers: net.Server[] = [];
  private readonly outputs = new Set<net.Socket>();
  private dir?: string;
  private done = false;
  private stopping = false;
  private resolveExit!: (e: RunExit) => void;

  constructor(private readonly opts: RunOptions) {
    this.exited = new Promise((resolve) => (this.resolveExit = resolve));
  }

  /**
   * Opens the output sockets, then spawns ffmpeg. Resolves once spawned. Any
   * failure on the way (temp folder, socket, spawn) finishes the run: the feed
   * is closed, `exited` resolves with the error, and start() rejects with it.
   */
  async start(): Promise<void> {
    try {
      await this.open();
    } catch (err) {
      this.finish({ code: null, signal: null, error: (err as Error).message });
      throw err;
    }
  }

  private async open(): Promise<void> {
    const { command, log } = this.opts;
    this.dir = this.opts.makeDir();
    const urls: string[] = [];
    for (let i = 0; i < command.outputs.length; i++) {
      if (this.stopping) return this.finish({ code: null, signal: null });
      const sockPath = path.join(this.dir, `${i}.sock`);
      if (Buffer.byteLength(sockPath) > MAX_SOCKET_PATH) {
        throw fail('LR_TRANSCODER_SOCKET_PATH', { path: sockPath, max: MAX_SOCKET_PATH });
      }
      const server = net.createServer((socket) => {
        this.outputs.add(socket);
        socket.once('close', () => this.outputs.delete(socket));
        socket.on('error', () => {});
        this.opts.onOutput(i, socket);
      });
      server.maxConnections = 1;
      this.servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(sockPath, () => resolve());
      });
      urls.push(`unix:${sockPath}`);
    }
    if (this.stopping) return this.finish({ code: null, signal: null });

    const cmd = ffmpeg({ stdoutLines: 0 })
      .setFfmpegPath(this.opts.ffmpegPath)
      .input(this.opts.feed.stream)
      .inputOptions(['-hide_banner', '-loglevel', 'warning', '-stats', '-nostdin', ...command.inputOptions]);
    if (command.filterComplex) cmd.complexFilter(command.filterComplex);
    command.outputs.forEach((o, i) => cmd.output(urls[i]).outputOptions(o.options));
    this.proc = cmd;

    this.opts.feed.stream.on('error', () => {});
    cmd.on('start', (line: string) => {
      log.info({ cmd: line.replace(/unix:\S+/g, 'unix:…') }, 'ffmpeg started');
      // Counted from here: fluent-ffmpeg pipes the feed in this same tick, so no byte is missed by ffmpeg.
      const onInput = this.opts.onInput;
      if (onInput) this.opts.feed.stream.on('data', (chunk: Buffer) => onInput(chunk.length));
    });
    cmd.on('stderr', (line: string) => {
      const m = /fps=\s*([\d.]+).*bitrate=\s*([\d.]+)kbits\/s.*speed=\s*([\d.]+)x/.exec(line);
      if (m) this.opts.onProgress?.({ fps: Number(m[1]), kbps: Number(m[2]), speed: Number(m[3]) });
      else if (!/^(frame=|size=)/.test(line.trim()) && line.trim()) log.warn({ ffmpeg: line.trim() }, 'ffmpeg');
    });
    cmd.on('end', () => this.finish({ code: 0, signal: null }));
    cmd.on('error', (err: Error) => {
      const m = /ffmpeg (?:exited with code (\d+)|was killed with signal (\w+))/.exec(err.message);
      this.finish({ code: m?.[1] ? Number(m[1]) : null, signal: m?.[2] ?? null });
      if (!this.stopping) log.warn({ err: err.message.split('\n')[0] }, 'ffmpeg failed');
    });
    cmd.run();
  }

  /** Ends the run: stdin closed (ffmpeg flushes its last fragments), then SIGTERM, then SIGKILL. */
  async stop(): Promise<RunExit> {
    this.stopping = true;
    this.opts.feed.close();
    const { killTimeoutMs } = this.opts;
    const timeout = (ms: number) => new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms).unref());
    if ((await Promise.race([this.exited, timeout(killTimeoutMs)])) === 'timeout') {
      this.signal('SIGTERM');
      if ((await Promise.race([this.exited, timeout(killTimeoutMs)])) === 'timeout') this.signal('SIGKILL');
      // Bounded: a run whose process never reports back (or never got spawned) is finished here.
      if ((await Promise.race([this.exited, timeout(killTimeoutMs)])) === 'timeout') {
        this.opts.log.error({ pid: this.pid }, 'ffmpeg did not exit after SIGKILL: giving up on it');
        this.finish({ code: null, signal: 'SIGKILL' });
      }
    }
    return this.exited;
  }

  get pid(): number | undefined {
    return (this.proc as unknown as { ffmpegProc?: { pid?: number } })?.ffmpegProc?.pid;
  }

  /** Kills ffmpeg at once (the process is exiting and cannot wait for a graceful stop). */
  kill(): void {
    this.signal('SIGKILL', 'ffmpeg killed: the server is exiting now');
  }

  private signal(sig: NodeJS.Signals, why = 'ffmpeg did not stop in time') {
    if (!this.proc || this.done) return; // never spawned, or gone already: nothing to signal
    this.opts.log.warn({ signal: sig }, why);
    try {
      this.proc?.kill(sig);
    } catch {
      /* already gone */
    }
  }

  private finish(exit: RunExit) {
    if (this.done) return;
    this.done = true;
    this.opts.feed.close();
    for (const s of this.servers) s.close();
    // Let the sockets drain what ffmpeg wrote before exiting; they end by themselves.
    if (this.dir) {
      try {
        fs.rmSync(this.dir, { recursive: true, force: true });
      } catch (err) {
        this.opts.log.warn({ err: (err as Error).message }, 'cannot remove the run folder');
      }
    }
    this.resolveExit(exit);
  }
}
