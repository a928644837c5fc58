import { spawn } from 'node:child_process';

export interface FfmpegRun {
  ffmpegPath: string;
  args: string[];
  /** Written to ffmpeg's stdin, which is then closed (ignored when ffmpeg stops reading early). */
  stdin?: Buffer;
  /** Ends ffmpeg early (SIGKILL). */
  signal?: AbortSignal;
  onStdout?(chunk: Buffer): void;
}

/** Why an ffmpeg run failed: its last words on stderr, or how it ended. */
export class FfmpegRunError extends Error {
  constructor(readonly reason: string, readonly aborted = false) {
    super(reason);
  }
}

/**
 * Runs the bundled ffmpeg on recorded files (export, thumbnails): no shell,
 * arguments as given, the last 2 kB of stderr kept for the error. Resolves on
 * exit 0; rejects with FfmpegRunError otherwise.
 */
export function runFfmpeg(run: FfmpegRun): Promise<void> {
  return new Promise((resolve, reject) => {
    if (run.signal?.aborted) return reject(new FfmpegRunError('aborted', true));
    const child = spawn(run.ffmpegPath, run.args, { stdio: [run.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const onAbort = () => child.kill('SIGKILL');
    run.signal?.addEventListener('abort', onAbort, { once: true });
    child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    child.stdout?.on('data', (d: Buffer) => run.onStdout?.(d));
    if (run.stdin && child.stdin) {
      child.stdin.on('error', () => {}); // EPIPE: ffmpeg had what it needed and stopped reading
      child.stdin.end(run.stdin);
    }
    child.once('error', (err) => {
      run.signal?.removeEventListener('abort', onAbort);
      reject(new FfmpegRunError(err.message));
    });
    child.once('close', (code, signal) => {
      run.signal?.removeEventListener('abort', onAbort);
      if (code === 0) return resolve();
      if (run.signal?.aborted) return reject(new FfmpegRunError('aborted', true));
      reject(new FfmpegRunError(stderr.trim().split('\n').slice(-3).join(' / ') || `exit ${code ?? signal}`));
    });
  });
}
