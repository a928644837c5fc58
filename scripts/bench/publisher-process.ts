import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { PublisherReply, PublisherRequest, StampPublisherStats } from './stamp-publisher';

/**
 * Runs StampPublisher (and its ffmpeg) in a separate Node process and process
 * group: its 30 fps timer keeps time whatever the bench's main thread is doing,
 * and killGroup() takes both down.
 */
export class PublisherProcess {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private diedReason: string | null = null;
  private stopped: { stats: StampPublisherStats; stderr: string } | null = null;
  startedAt = 0;

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Why the publisher ended early, or null while it runs. */
  get died(): string | null {
    return this.diedReason;
  }

  async start(opts: { ffmpegPath: string; rtmpUrl: string; videoKbps?: number }): Promise<void> {
    const child = fork(path.join(__dirname, 'stamp-publisher.js'), [], {
      detached: true,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const started = new Promise<void>((resolve, reject) => {
      child.on('message', (msg: PublisherReply) => {
        if (msg.type === 'started') {
          this.startedAt = msg.startedAt;
          resolve();
        } else if (msg.type === 'died') {
          this.diedReason = msg.reason;
        } else if (msg.type === 'stopped') {
          this.stopped = { stats: msg.stats, stderr: msg.stderr };
        }
      });
      child.once('exit', (code, signal) => {
        if (!this.stopped) this.diedReason ??= `publisher process exited (code ${code}, signal ${signal})`;
        reject(new Error(this.diedReason ?? 'publisher process exited'));
      });
    });
    started.catch(() => {});
    const request: PublisherRequest = { type: 'start', ...opts };
    child.send(request);
    await started;
  }

  /** Stops publishing (ffmpeg ends the RTMP stream cleanly) and returns the publisher's stats. */
  async stop(timeoutMs = 8000): Promise<{ stats: StampPublisherStats; stderr: string } | null> {
    const child = this.child;
    if (child && child.connected) {
      const request: PublisherRequest = { type: 'stop' };
      child.send(request);
      const timer = setTimeout(() => this.killGroup(), timeoutMs);
      await this.exited;
      clearTimeout(timer);
    }
    this.killGroup();
    await this.exited;
    this.child = null;
    return this.stopped;
  }

  /** Synchronous last resort: the publisher process and its ffmpeg. */
  killGroup(): void {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
