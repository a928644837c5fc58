import { spawn, type ChildProcess } from 'node:child_process';

export interface CbrPublisherOptions {
  ffmpegPath: string;
  /** rtmp://127.0.0.1:<port>/live/<key>, asked for at start() (the server's port is known once it runs). */
  rtmpUrl: () => string;
  /** Video bitrate, kbit/s, held constant (filler included) as OBS's CBR does. */
  videoKbps: number;
  /** WxH at 30 fps. */
  size?: string;
}

/**
 * A publisher whose bitrate is the one asked for, like OBS in CBR mode: a busy
 * test picture with noise (so the encoder has work to spend the bits on),
 * x264 with HRD CBR (it pads when the picture is easy), a keyframe a second,
 * AAC 128k, over RTMP. What disk figures need: bytes in = bitrate × time.
 */
export class CbrPublisher {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private stderrTail = '';

  constructor(private readonly opts: CbrPublisherOptions) {}

  get stderr(): string {
    return this.stderrTail;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): void {
    const kbps = this.opts.videoKbps;
    const args = [
      '-hide_banner', '-loglevel', 'error', '-nostdin',
      '-re', '-f', 'lavfi', '-i', `testsrc2=size=${this.opts.size ?? '1280x720'}:rate=30,noise=alls=12:allf=t`,
      '-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
      '-map', '0:v', '-map', '1:a',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p',
      '-g', '30', '-keyint_min', '30', '-sc_threshold', '0',
      '-b:v', `${kbps}k`, '-minrate', `${kbps}k`, '-maxrate', `${kbps}k`, '-bufsize', `${kbps}k`, '-x264-params', 'nal-hrd=cbr',
      '-c:a', 'aac', '-b:a', '128k', '-ar', '48000', '-ac', '2',
      '-f', 'flv', this.opts.rtmpUrl(),
    ];
    const child = spawn(this.opts.ffmpegPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.stderr?.on('data', (d: Buffer) => (this.stderrTail = (this.stderrTail + d.toString()).slice(-2000)));
  }

  /** SIGINT (ffmpeg ends the stream cleanly), SIGKILL after a while. */
  async stop(timeoutMs = 5000): Promise<void> {
    const child = this.child;
    if (!child) return;
    if (this.running) child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
    this.child = null;
  }
}
