import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { drawStamp, STAMP_LAYOUT, type StampLayout } from './stamp-layout';

export interface StampPublisherOptions {
  ffmpegPath: string;
  /** rtmp://127.0.0.1:<port>/live/<key> */
  rtmpUrl: string;
  layout?: StampLayout;
  /** Video bitrate, kbit/s (CBR like OBS's default). */
  videoKbps?: number;
  /** Called once if ffmpeg ends before stop(). */
  onExit?: (code: number | null, signal: NodeJS.Signals | null, stderrTail: string) => void;
}

export interface StampPublisherStats {
  framesWritten: number;
  /** Frames generated more than one frame interval after their slot (our timer was late). */
  lateFrames: number;
  maxLateMs: number;
  /** Same, ignoring the first 3 s (start-up: module loading, ffmpeg and RTMP connecting). */
  lateFramesAfterStart: number;
  maxLateMsAfterStart: number;
  /** Largest amount of raw video waiting for ffmpeg to read it from stdin, in frames. */
  maxBacklogFrames: number;
  maxBacklogFramesAfterStart: number;
}

/**
 * What OBS does, minus the camera: generates 8-bit gray frames in real time,
 * stamps each with its capture time (see tick() and stamp-layout.ts), and pipes
 * them to an ffmpeg that encodes H.264 + AAC (keyframe every second, x264
 * veryfast/zerolatency) and publishes over RTMP.
 */
export class StampPublisher {
  private child: ChildProcessWithoutNullStreams | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly layout: StampLayout;
  private readonly background: Buffer;
  private stderrTail = '';
  private stopping = false;
  private t0 = 0;
  private frameIndex = 0;
  readonly stats: StampPublisherStats = {
    framesWritten: 0,
    lateFrames: 0,
    maxLateMs: 0,
    lateFramesAfterStart: 0,
    maxLateMsAfterStart: 0,
    maxBacklogFrames: 0,
    maxBacklogFramesAfterStart: 0,
  };

  constructor(private readonly opts: StampPublisherOptions) {
    this.layout = opts.layout ?? STAMP_LAYOUT;
    this.background = makeBackground(this.layout);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Epoch ms of the first frame. */
  get startedAt(): number {
    return this.t0;
  }

  start(): void {
    if (this.child) return;
    const { frameWidth: w, frameHeight: h, fps } = this.layout;
    const kbps = this.opts.videoKbps ?? 2500;
    const args = [
      '-hide_banner', '-loglevel', 'warning', '-nostdin',
      // Video: our raw frames, paced by us in real time.
      '-f', 'rawvideo', '-pix_fmt', 'gray', '-s', `${w}x${h}`, '-r', String(fps),
      // Room for the frames that arrive while ffmpeg is still connecting to the server.
      '-thread_queue_size', '64', '-i', 'pipe:0',
      // Audio: a tone at its native rate, so the stream looks like OBS's (video + AAC).
      '-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
      '-map', '0:v', '-map', '1:a',
      '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency',
      // One keyframe a second, as the README tells OBS users.
      '-g', String(fps), '-keyint_min', String(fps), '-sc_threshold', '0',
      '-b:v', `${kbps}k`, '-maxrate', `${kbps}k`, '-bufsize', `${kbps}k`,
      '-pix_fmt', 'yuv420p',
      '-c:a', 'aac', '-b:a', '128k', '-ar', '48000', '-ac', '2',
      // End when our frames end (stop() closes stdin), not with the endless tone.
      '-shortest',
      '-f', 'flv', this.opts.rtmpUrl,
    ];
    const child = spawn(this.opts.ffmpegPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout.resume();
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-4000);
    });
    // EPIPE when ffmpeg dies is reported through 'exit'.
    child.stdin.on('error', () => {});
    child.on('exit', (code, signal) => {
      this.clearTimer();
      this.child = null;
      if (!this.stopping) this.opts.onExit?.(code, signal, this.stderrTail);
    });
    this.t0 = Date.now();
    this.frameIndex = 0;
    this.tick();
  }

  /** Ends the stream like OBS's "Stop Streaming": close stdin, then escalate. */
  async stop(timeoutMs = 3000): Promise<void> {
    this.stopping = true;
    this.clearTimer();
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.stdin.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const term = setTimeout(() => child.kill('SIGTERM'), timeoutMs / 2);
    await exited;
    clearTimeout(timer);
    clearTimeout(term);
  }

  /** Synchronous last resort (process 'exit' handler). */
  killNow(): void {
    this.child?.kill('SIGKILL');
  }

  get stderr(): string {
    return this.stderrTail;
  }

  private tick(): void {
    const child = this.child;
    if (!child || this.stopping) return;
    const interval = 1000 / this.layout.fps;
    const now = Date.now();
    const slot = this.t0 + this.frameIndex * interval;
    const late = now - slot;
    const frameBytes = this.background.length;
    const backlog = child.stdin.writableLength / frameBytes;
    const st = this.stats;
    if (late > interval) st.lateFrames++;
    st.maxLateMs = Math.max(st.maxLateMs, late);
    st.maxBacklogFrames = Math.max(st.maxBacklogFrames, backlog);
    if (now - this.t0 > 3000) {
      if (late > interval) st.lateFramesAfterStart++;
      st.maxLateMsAfterStart = Math.max(st.maxLateMsAfterStart, late);
      st.maxBacklogFramesAfterStart = Math.max(st.maxBacklogFramesAfterStart, backlog);
    }

    const frame = Buffer.allocUnsafe(frameBytes);
    this.background.copy(frame);
    drawMotion(frame, this.layout, this.frameIndex);
    // The capture time. ffmpeg timestamps frames by count (-r 30 from t0), so the
    // frame's slot on the wall clock is its capture time as the stream tells it.
    // Normally the slot and Date.now() agree within a few ms; when our timer runs
    // late the slot is the pessimistic choice (Date.now() would hide our lateness).
    drawStamp(frame, Math.round(slot), this.layout);
    child.stdin.write(frame);
    this.stats.framesWritten++;
    this.frameIndex++;

    // Drift-corrected pacing: aim at the absolute slot of the next frame.
    const next = this.t0 + this.frameIndex * interval;
    this.timer = setTimeout(() => this.tick(), Math.max(0, next - Date.now()));
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

/** A static diagonal gradient with a mid-gray band behind the stamp. */
function makeBackground(layout: StampLayout): Buffer {
  const { frameWidth: w, frameHeight: h } = layout;
  const buf = Buffer.alloc(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) buf[y * w + x] = 40 + Math.floor(((x + y) / (w + h)) * 150);
  }
  const bandBottom = layout.y0 * 2 + layout.rows * layout.block;
  buf.fill(128, 0, bandBottom * w);
  return buf;
}

/** Some motion for the encoder: a bouncing square and a sweeping bar, below the stamp. */
function drawMotion(frame: Buffer, layout: StampLayout, n: number): void {
  const { frameWidth: w, frameHeight: h } = layout;
  const top = layout.y0 * 2 + layout.rows * layout.block + 8;
  const size = 160;
  const spanX = w - size;
  const spanY = h - top - size;
  const px = Math.abs(((n * 9) % (2 * spanX)) - spanX);
  const py = top + Math.abs(((n * 5) % (2 * spanY)) - spanY);
  for (let y = py; y < py + size; y++) frame.fill(n % 60 < 30 ? 230 : 20, y * w + px, y * w + px + size);
  const barX = (n * 16) % w;
  for (let y = top; y < h; y++) frame.fill(255 - (n % 256), y * w + barX, y * w + Math.min(w, barX + 24));
}

/** Messages between PublisherProcess (the bench) and this module run as its own process. */
export type PublisherRequest = { type: 'start'; ffmpegPath: string; rtmpUrl: string; videoKbps?: number } | { type: 'stop' };
export type PublisherReply =
  | { type: 'started'; startedAt: number; ffmpegPid: number | undefined }
  | { type: 'died'; reason: string }
  | { type: 'stopped'; stats: StampPublisherStats; stderr: string };

/**
 * Entry point when forked by PublisherProcess: the publisher gets an event loop
 * of its own, so the bench's Playwright traffic cannot delay its frame timer.
 */
function runAsChild(): void {
  let publisher: StampPublisher | null = null;
  const send = (msg: PublisherReply): void => {
    process.send?.(msg);
  };
  process.on('message', (msg: PublisherRequest) => {
    if (msg.type === 'start' && !publisher) {
      publisher = new StampPublisher({
        ffmpegPath: msg.ffmpegPath,
        rtmpUrl: msg.rtmpUrl,
        videoKbps: msg.videoKbps,
        onExit: (code, signal, tail) => send({ type: 'died', reason: `publisher ffmpeg exited (code ${code}, signal ${signal}):\n${tail}` }),
      });
      publisher.start();
      send({ type: 'started', startedAt: publisher.startedAt, ffmpegPid: publisher.pid });
    } else if (msg.type === 'stop') {
      const p = publisher;
      void (p ? p.stop() : Promise.resolve()).then(() => {
        send({ type: 'stopped', stats: p?.stats ?? emptyStats(), stderr: p?.stderr ?? '' });
        process.disconnect?.();
      });
    }
  });
  // The bench went away: take ffmpeg down with us.
  process.on('disconnect', () => {
    publisher?.killNow();
    process.exit(0);
  });
}

function emptyStats(): StampPublisherStats {
  return {
    framesWritten: 0,
    lateFrames: 0,
    maxLateMs: 0,
    lateFramesAfterStart: 0,
    maxLateMsAfterStart: 0,
    maxBacklogFrames: 0,
    maxBacklogFramesAfterStart: 0,
  };
}

if (require.main === module) runAsChild();
