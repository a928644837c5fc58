import type { ChildProcess } from 'node:child_process';
import type { FromWorker, ToWorker } from './chat-load-worker';

/** The parent's handle on one forked chat load generator: request/response over IPC, stop. */
export class LoadWorker {
  private readonly waiting: Array<(m: FromWorker) => void> = [];
  private exited = false;

  constructor(readonly proc: ChildProcess) {
    proc.on('message', (m: FromWorker) => this.waiting.shift()?.(m));
    proc.once('exit', () => {
      this.exited = true;
    });
  }

  /** Sends a command and resolves with the next message back. */
  request(m: ToWorker, timeoutMs: number): Promise<FromWorker> {
    if (this.exited) return Promise.reject(new Error('load generator exited'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`load generator did not answer '${m.type}' within ${timeoutMs} ms`)), timeoutMs);
      this.waiting.push((reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      this.proc.send(m);
    });
  }

  tell(m: ToWorker): void {
    if (!this.exited) this.proc.send(m);
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((r) => this.proc.once('exit', () => r()));
    this.tell({ type: 'exit' });
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(timer);
  }
}
