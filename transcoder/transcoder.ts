import type { HlsConfig, TranscoderConfig } from '../server/config-schema';
import type { LiveroomEvents, PublishStarted, SourceInfo } from '../server/events';
import type { Logger } from '../server/logger';
import type { TypedEmitter } from '../server/typed-emitter';
import { buildFfmpegCommand, flattenCommand, planLadder, type PlannedRendition } from './ffmpeg-args';
import { resolveFfmpegPath } from './ffmpeg-path';
import type { Profile } from './profiles';
import { TranscoderRun } from './transcoder-run';

export interface TranscoderDeps {
  config: TranscoderConfig;
  hls: Pick<HlsConfig, 'partTarget'>;
  profileFor(channel: string): Profile;
  bus: TypedEmitter<LiveroomEvents>;
  log: Logger;
}

export interface LiveTranscode {
  channel: string;
  publishId: string;
  profile: string;
  renditions: PlannedRendition[];
  source: SourceInfo;
  restarts: number;
  progress: { fps: number; speed: number; kbps: number } | null;
  pid?: number;
}

interface Job {
  publish: PublishStarted;
  run?: TranscoderRun;
  stopping: boolean;
  restartTimes: number[];
  status: LiveTranscode;
}

/** Waits for the publisher's metadata (sizes, codecs): OBS sends it right after publishing. */
async function waitForSource(publish: PublishStarted, timeoutMs: number): Promise<SourceInfo> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const s = publish.source();
    if (s.videoCodec && s.height > 0) return s;
    await new Promise((r) => setTimeout(r, 25));
  }
  return publish.source();
}

/** Supervises one ffmpeg per live channel: starts it, restarts it if it dies mid-publish, always ends it with the publish. */
export class Transcoder {
  private readonly jobs = new Map<string, Job>();
  private ffmpegPath = '';

  constructor(private readonly deps: TranscoderDeps) {}

  start(): void {
    this.ffmpegPath = resolveFfmpegPath(this.deps.config.ffmpegPath);
  }

  live(): LiveTranscode[] {
    return [...this.jobs.values()].map((j) => ({ ...j.status, pid: j.run?.pid }));
  }

  async begin(publish: PublishStarted): Promise<void> {
    const profile = this.deps.profileFor(publish.channel);
    const job: Job = {
      publish,
      stopping: false,
      restartTimes: [],
      status: { channel: publish.channel, publishId: publish.publishId, profile: profile.name, renditions: [], source: publish.source(), restarts: 0, progress: null },
    };
    this.jobs.set(publish.channel, job);
    const source = await waitForSource(publish, 3000);
    if (job.stopping) return;
    const { renditions, notes } = planLadder(profile, source);
    const log = this.deps.log.child({ channel: publish.channel });
    for (const n of notes) log.info(n);
    job.status = { ...job.status, renditions, source };
    await this.spawn(job, log);
  }

  /** Ends the channel's ffmpeg and waits until it has exited and flushed. */
  async end(channel: string): Promise<void> {
    const job = this.jobs.get(channel);
    if (!job) return;
    job.stopping = true;
    await job.run?.stop();
    if (this.jobs.get(channel) === job) this.jobs.delete(channel);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.jobs.keys()].map((c) => this.end(c)));
  }

  private async spawn(job: Job, log: Logger): Promise<void> {
    const { publish, status } = job;
    let feed;
    try {
      feed = publish.openFeed();
    } catch {
      return; // the publisher left while we were getting ready
    }
    const command = buildFfmpegCommand({
      ladder: status.renditions,
      source: status.source,
      outputs: status.renditions.map((_, i) => `out${i}`),
      partTarget: this.deps.hls.partTarget,
      encoder: 'libx264',
    });
    log.debug({ args: flattenCommand(command) }, 'ffmpeg arguments');
    const runId = `${publish.publishId}-${status.restarts}`;
    const run = new TranscoderRun({
      ffmpegPath: this.ffmpegPath,
      command,
      feed,
      log,
      killTimeoutMs: this.deps.config.killTimeoutMs,
      onOutput: (i, stream) => {
        const r = status.renditions[i];
        const kbps = r.spec.copy ? status.source.videoKbps + status.source.audioKbps : (r.spec.videoKbps ?? 1500) + (r.spec.audioKbps ?? 128);
        this.deps.bus.emit('rendition:output', {
          channel: publish.channel,
          publishId: publish.publishId,
          rendition: r.spec.name,
          run: runId,
          nominalBandwidth: Math.max(kbps, 100) * 1000,
          stream,
        });
      },
      onProgress: (p) => (status.progress = p),
    });
    job.run = run;
    await run.start();
    run.exited.then((exit) => {
      if (job.stopping || this.jobs.get(publish.channel) !== job) return;
      const now = Date.now();
      job.restartTimes = job.restartTimes.filter((t) => now - t < 60_000);
      const willRestart = job.restartTimes.length < this.deps.config.maxRestartsPerMinute;
      log.warn({ ...exit, willRestart }, 'ffmpeg exited while the publisher is live');
      this.deps.bus.emit('transcoder:exited', { channel: publish.channel, publishId: publish.publishId, code: exit.code, signal: exit.signal, willRestart });
      if (!willRestart) return;
      job.restartTimes.push(now);
      status.restarts++;
      setTimeout(() => {
        if (!job.stopping) void this.spawn(job, log);
      }, 250);
    });
  }
}
