import type { HlsConfig, TranscoderConfig } from '../core/config-schema';
import type { LiveroomEvents, PublishStarted, SourceInfo } from '../core/events';
import type { Logger } from '../core/logger';
import type { TypedEmitter } from '../core/typed-emitter';
import { LIBX264, type EncoderSetup } from './encoder-args';
import { buildFfmpegCommand, flattenCommand, planLadder, type PlannedRendition } from './ffmpeg-args';
import { resolveFfmpegPath } from './ffmpeg-path';
import { DEFAULT_AUDIO_KBPS, DEFAULT_VIDEO_KBPS, type EncoderChoice, type Profile } from './profiles';
import { RateMeter } from './rate-meter';
import { TranscoderRun } from './transcoder-run';

export interface TranscoderDeps {
  config: TranscoderConfig;
  hls: Pick<HlsConfig, 'partTarget'>;
  profileFor(channel: string): Profile;
  /** The encoder a profile's choice runs with here (the probe's answer); libx264 when absent. */
  encoderFor?(choice: EncoderChoice): Promise<{ setup: EncoderSetup; reason: string }>;
  bus: TypedEmitter<LiveroomEvents>;
  log: Logger;
}

export interface LiveTranscode {
  channel: string;
  publishId: string;
  profile: string;
  renditions: PlannedRendition[];
  source: SourceInfo;
  /** The H.264 encoder of the encoded renditions ('none' when every rendition is a copy), and why. */
  encoder: string;
  encoderReason: string;
  /** Why renditions of the profile were left out (e.g. they would upscale). */
  notes: string[];
  restarts: number;
  progress: { fps: number; speed: number; kbps: number } | null;
  /** The publisher's feed into ffmpeg, measured over the last seconds. */
  inputKbps: number;
  pid?: number;
}

interface Job {
  publish: PublishStarted;
  run?: TranscoderRun;
  stopping: boolean;
  /** A profile restart is replacing the run: its exit is not a crash. */
  replacing: boolean;
  restartTimes: number[];
  /** ffmpeg runs so far in this publish (names each run for the packager). */
  runs: number;
  setup: EncoderSetup;
  keyframes: Profile['keyframes'];
  input: RateMeter;
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
    return [...this.jobs.values()].map((j) => ({ ...j.status, inputKbps: Math.round(j.input.kbps()), pid: j.run?.pid }));
  }

  async begin(publish: PublishStarted): Promise<void> {
    const profile = this.deps.profileFor(publish.channel);
    const job: Job = {
      publish,
      stopping: false,
      replacing: false,
      restartTimes: [],
      runs: 0,
      setup: LIBX264,
      keyframes: 'source',
      input: new RateMeter(5000),
      status: {
        channel: publish.channel, publishId: publish.publishId, profile: profile.name, renditions: [], source: publish.source(),
        encoder: 'none', encoderReason: '', notes: [], restarts: 0, progress: null, inputKbps: 0,
      },
    };
    this.jobs.set(publish.channel, job);
    const source = await waitForSource(publish, 3000);
    if (job.stopping) return;
    const log = this.deps.log.child({ channel: publish.channel });
    await this.plan(job, profile, source, log);
    if (job.stopping) return;
    await this.spawn(job, log);
  }

  /**
   * Applies the channel's current profile now: a new ffmpeg run replaces the
   * old one while the publisher stays (players see a short discontinuity).
   * False when the channel is not live.
   */
  async restart(channel: string): Promise<boolean> {
    const job = this.jobs.get(channel);
    if (!job || job.stopping || !job.run) return false;
    if (job.replacing) return true; // a restart in progress reads the profile after it stops the run
    const log = this.deps.log.child({ channel });
    job.replacing = true;
    try {
      await job.run?.stop();
    } finally {
      job.replacing = false;
    }
    if (job.stopping || this.jobs.get(channel) !== job) return false;
    const profile = this.deps.profileFor(channel);
    await this.plan(job, profile, job.status.source, log);
    if (job.stopping) return false;
    job.status.progress = null;
    log.info({ profile: profile.name }, 'transcoder restarted with the channel profile');
    await this.spawn(job, log);
    return true;
  }

  private async plan(job: Job, profile: Profile, source: SourceInfo, log: Logger): Promise<void> {
    const { renditions, notes } = planLadder(profile, source);
    for (const n of notes) log.info(n);
    const encodes = renditions.some((r) => !r.spec.copy);
    const chosen = encodes ? await (this.deps.encoderFor?.(profile.encoder) ?? Promise.resolve({ setup: LIBX264, reason: 'libx264' })) : undefined;
    if (chosen) log.info({ encoder: chosen.setup.encoder, profile: profile.name }, `encoding with ${chosen.setup.encoder}: ${chosen.reason}`);
    job.setup = chosen?.setup ?? LIBX264;
    job.keyframes = profile.keyframes ?? 'source';
    job.status = {
      ...job.status,
      profile: profile.name,
      renditions,
      source,
      notes,
      encoder: chosen?.setup.encoder ?? 'none',
      encoderReason: chosen?.reason ?? 'every rendition is a copy: nothing to encode',
    };
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
      encoder: job.setup,
      keyframes: job.keyframes,
    });
    log.debug({ args: flattenCommand(command) }, 'ffmpeg arguments');
    const runId = `${publish.publishId}-${job.runs++}`;
    const ladder = status.renditions.map((r) => r.spec.name);
    const run = new TranscoderRun({
      ffmpegPath: this.ffmpegPath,
      command,
      feed,
      log,
      killTimeoutMs: this.deps.config.killTimeoutMs,
      onOutput: (i, stream) => {
        const r = status.renditions[i];
        const kbps = r.spec.copy ? status.source.videoKbps + status.source.audioKbps : (r.spec.videoKbps ?? DEFAULT_VIDEO_KBPS) + (r.spec.audioKbps ?? DEFAULT_AUDIO_KBPS);
        this.deps.bus.emit('rendition:output', {
          channel: publish.channel,
          publishId: publish.publishId,
          rendition: r.spec.name,
          run: runId,
          nominalBandwidth: Math.max(kbps, 100) * 1000,
          ladder,
          stream,
        });
      },
      onProgress: (p) => (status.progress = p),
      onInput: (bytes) => job.input.add(bytes),
    });
    job.run = run;
    await run.start();
    run.exited.then((exit) => {
      if (job.stopping || job.replacing || job.run !== run || this.jobs.get(publish.channel) !== job) return;
      const now = Date.now();
      job.restartTimes = job.restartTimes.filter((t) => now - t < 60_000);
      const willRestart = job.restartTimes.length < this.deps.config.maxRestartsPerMinute;
      log.warn({ ...exit, willRestart }, 'ffmpeg exited while the publisher is live');
      this.deps.bus.emit('transcoder:exited', { channel: publish.channel, publishId: publish.publishId, code: exit.code, signal: exit.signal, willRestart });
      if (!willRestart) return;
      job.restartTimes.push(now);
      status.restarts++;
      setTimeout(() => {
        if (!job.stopping && job.run === run) void this.spawn(job, log);
      }, 250);
    });
  }
}
