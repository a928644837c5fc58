import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** A free TCP port on 127.0.0.1 (listen on 0, read it, close). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface LiveroomProcessOptions {
  /** Repository root (holds dist/server/main.js). */
  root: string;
  logLevel?: string;
  /** Extra LIVEROOM_* variables. */
  env?: Record<string, string>;
  /** Node flags before the script (those NODE_OPTIONS refuses, such as --cpu-prof). */
  nodeArgs?: string[];
  /** The HTTP port, when the server must know its own URL before it starts (a cluster node's 'cluster.nodeUrl'); a free one otherwise. */
  httpPort?: number;
}

/**
 * The real server as a user runs it (`node dist/server/main.js`), on random
 * loopback ports with a throwaway data folder. It runs in its own process
 * group so stop() can also reap any ffmpeg it left behind.
 */
export class LiveroomProcess {
  /** Servers started and not yet stopped, so the bench runner can take them down when it is killed. */
  private static readonly running = new Set<LiveroomProcess>();

  /** Kills every server still running (and what it spawned), synchronously: the bench runner's signal and exit handler. */
  static killAllSync(): void {
    for (const p of LiveroomProcess.running) p.killAndCleanSync();
  }

  readonly streamKey = `bench_${crypto.randomBytes(8).toString('hex')}`;
  readonly logLines: string[] = [];
  rtmpPort = 0;
  httpPort = 0;
  private dataDir = '';
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private partial = '';

  constructor(private readonly opts: LiveroomProcessOptions) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** How the server process ended ('exited with code 1', 'killed by SIGKILL'), or undefined while it runs. */
  exitState(): string | undefined {
    const c = this.child;
    if (!c || (c.exitCode === null && c.signalCode === null)) return undefined;
    return c.signalCode ? `was killed by ${c.signalCode}` : `exited with code ${c.exitCode}`;
  }

  /** The throwaway data folder (empty until start()). */
  get dataFolder(): string {
    return this.dataDir;
  }

  get httpOrigin(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  rtmpUrl(app = 'live'): string {
    return `rtmp://127.0.0.1:${this.rtmpPort}/${app}/${this.streamKey}`;
  }

  async start(timeoutMs = 20_000): Promise<void> {
    const main = path.join(this.opts.root, 'dist', 'server', 'main.js');
    if (!fs.existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\` first`);
    this.dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'liveroom-bench-'));
    this.rtmpPort = await freePort();
    this.httpPort = this.opts.httpPort ?? (await freePort());
    while (this.httpPort === this.rtmpPort) this.rtmpPort = await freePort();
    const child = spawn(process.execPath, [...(this.opts.nodeArgs ?? []), main], {
      cwd: this.dataDir,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        LIVEROOM_DATA_DIR: this.dataDir,
        LIVEROOM_RTMP_PORT: String(this.rtmpPort),
        LIVEROOM_HTTP_PORT: String(this.httpPort),
        LIVEROOM_STREAM_KEY: this.streamKey,
        LIVEROOM_LOG_LEVEL: this.opts.logLevel ?? 'warn',
        ...this.opts.env,
      },
    });
    this.child = child;
    LiveroomProcess.running.add(this);
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const onData = (chunk: Buffer): void => {
      const text = this.partial + chunk.toString('utf8');
      const lines = text.split('\n');
      this.partial = lines.pop() ?? '';
      for (const line of lines) if (line.trim() && this.logLines.length < 2000) this.logLines.push(line);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);

    const deadline = Date.now() + timeoutMs;
    let exitCode: number | null | undefined;
    child.once('exit', (code) => {
      exitCode = code;
    });
    while (Date.now() < deadline) {
      if (exitCode !== undefined) {
        throw new Error(`liveroom exited (${exitCode}) during start:\n${this.logLines.slice(-20).join('\n')}`);
      }
      try {
        const res = await fetch(`${this.httpOrigin}/watch/live`);
        await res.arrayBuffer();
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    throw new Error(`liveroom did not answer on ${this.httpOrigin} within ${timeoutMs} ms`);
  }

  /** SIGTERM (graceful), then SIGKILL to the whole process group; removes the data folder. */
  async stop(timeoutMs = 6000): Promise<void> {
    const child = this.child;
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timedOut = await Promise.race([this.exited.then(() => false), sleep(timeoutMs).then(() => true)]);
      if (timedOut) this.logLines.push(`[bench] liveroom did not exit within ${timeoutMs} ms of SIGTERM; killing its group`);
    }
    this.killGroup();
    await this.exited;
    LiveroomProcess.running.delete(this);
    this.child = null;
    if (this.dataDir) fs.rmSync(this.dataDir, { recursive: true, force: true });
    this.dataDir = '';
  }

  /** Synchronous last resort (signal or 'exit' handler): kill the server and anything it spawned. */
  killGroup(): void {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // group already gone
    }
  }

  /** killGroup() and remove the data folder, synchronously. */
  killAndCleanSync(): void {
    this.killGroup();
    if (this.dataDir) fs.rmSync(this.dataDir, { recursive: true, force: true });
    this.dataDir = '';
  }
}
