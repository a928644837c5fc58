import os from 'node:os';
import type { HlsConfig, TranscoderConfig } from '../core/config-schema';
import type { LiveroomEvents, PublishStarted, SourceInfo } from '../core/events';
import type { Logger } from '../core/logger';
import type { TypedEmitter } from '../core/typed-emitter';
import { LIBX264, type EncoderSetup } from './encoder-args';
import { buildFfmpegCommand, flattenCommand, planLadder, type PlannedRendition } from './ffmpeg-args';
import { resolveFfmpegPath } from './ffmpeg-path';
import { DEFAULT_AUDIO_KBPS, DEFAULT_VIDEO_KBPS, type EncoderChoice, type Profile } from './profiles';
import { FlvFeedBuffer, type FeedDrops } from './feed-buffer';
import { RateMeter } from './rate-meter';
import { RunFolders } from './run-folders';
import { TranscoderRun } from './transcoder-run';

export interface TranscoderDeps {
  config: TranscoderConfig;
  hls: Pick<HlsConfig, 'partTarget'>;
  profileFor(channel: string): Profile | Promise<Profile>;
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
  /** Frames dropped in this publish because ffmpeg fell behind and the input buffer was full. */
  dropped: FeedDrops;
  pid?: number;
}

interface Job {
  publish: PublishStarted;
  run?: TranscoderRun;
  stopping: boolean;
  /** A profile restart is replacing the run: its exit is not a crash. */
  replacing: boolean;
  /** ffmpeg runs so far in this publish (names each run for the packager). */
  runs: number;
  setup: EncoderSetup;
  keyframes: Profile['keyframes'];
  input: RateMeter;
  /** Drops of the runs that ended, and the current run's feed buffer. */
  droppedBefore: FeedDrops;
  feed?: FlvFeedBuffer;
  status: LiveTranscode;
}

const noDrops = (): FeedDrops => ({ videoFrames: 0, audioFrames: 0, episodes: 0 });
const addDrops = (a: FeedDrops, b: FeedDrops = noDrops()): FeedDrops => ({
  videoFrames: a.videoFrames + b.videoFrames, audioFrames: a.audioFrames + b.audioFrames, episodes: a.episodes + b.episodes,
});

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
  /**
   * When ffmpeg died unasked, per channel, over the last minute. Kept across
   * publishes: a source that crashes ffmpeg cannot loop by reconnecting.
   */
  private readonly restartTimes = new Map<string, number[]>();
  private ffmpegPath = '';
  private folders?: RunFolders;

  constructor(private readonly deps: TranscoderDeps) {}

  start(): void {
    this.ffmpegPath = resolveFfmpegPath(this.deps.config.ffmpegPath);
    this.folders = new RunFolders(this.deps.config.tempDir ?? os.tmpdir(), this.deps.log);
    this.folders.start();
  }

  live(): LiveTranscode[] {
    return [...this.jobs.values()].map((j) => ({ ...j.status, inputKbps: Math.round(j.input.kbps()), dropped: addDrops(j.droppedBefore, j.feed?.drops), pid: j.run?.pid }));
  }

  async begin(publish: PublishStarted): Promise<void> {
    const chosen = this.deps.profileFor(publish.channel);
    // The job is there at once (a stop finds it); the profile may take a store read.
    const profile = chosen instanceof Promise ? undefined : chosen;
    const job: Job = {
      publish,
      stopping: false,
      replacing: false,
      runs: 0,
      setup: LIBX264,
      keyframes: 'source',
      input: new RateMeter(5000),
      droppedBefore: noDrops(),
      status: {
        channel: publish.channel, publishId: publish.publishId, profile: profile?.name ?? '', renditions: [], source: publish.source(),
        encoder: 'none', encoderReason: '', notes: [], restarts: 0, progress: null, inputKbps: 0, dropped: noDrops(),
      },
    };
    this.jobs.set(publish.channel, job);
    const [resolved, source] = await Promise.all([chosen, waitForSource(publish, 3000)]);
    job.status.profile = resolved.name;
    if (job.stopping) return;
    const log = this.deps.log.child({ channel: publish.channel });
    await this.plan(job, resolved, source, log);
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
    const profile = await this.deps.profileFor(channel);
    if (job.stopping || this.jobs.get(channel) !== job) return false;
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
    try {
      this.folders?.stop();
    } catch (err) {
      this.deps.log.warn({ err: (err as Error).message }, 'cannot remove the transcoder temp folder');
    }
  }

  /** Kills every ffmpeg at once, without waiting (the process is exiting: watchdog or a second signal). */
  kill(): void {
    for (const job of this.jobs.values()) {
      job.stopping = true;
      job.run?.kill();
    }
  }

  /**
   * A run ended without being asked to (ffmpeg died, or the run failed to
   * start): true when the channel's budget allows another run now.
   */
  private allowRestart(channel: string): boolean {
    const now = Date.now();
    const times = (this.restartTimes.get(channel) ?? []).filter((t) => now - t < 60_000);
    const allowed = times.length < this.deps.config.maxRestartsPerMinute;
    if (allowed) times.push(now);
    if (times.length) this.restartTimes.set(channel, times);
    else this.restartTimes.delete(channel);
    return allowed;
  }

  /** Starts one ffmpeg run for the job. Never rejects: a run that fails to start is handled like one that died. */
  private async spawn(job: Job, log: Logger): Promise<void> {
    const { publish, status } = job;
    let feed;
    try {
      feed = publish.openFeed();
    } catch {
      return; // the publisher left while we were getting ready
    }
    // ffmpeg reads the publisher through a bounded buffer: when it falls behind, frames are dropped up to a keyframe.
    if (job.feed) job.droppedBefore = addDrops(job.droppedBefore, job.feed.drops);
    const buffer = (job.feed = new FlvFeedBuffer(feed.stream, this.deps.config.inputBufferBytes));
    const source = feed;
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
      feed: { stream: buffer.output, close: () => source.close() },
      log,
      killTimeoutMs: this.deps.config.killTimeoutMs,
      makeDir: () => this.folders!.create(),
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
    void run.exited.then((exit) => {
      if (job.stopping || job.replacing || job.run !== run || this.jobs.get(publish.channel) !== job) return;
      const willRestart = this.allowRestart(publish.channel);
      if (exit.error) log.error({ err: exit.error, willRestart }, 'ffmpeg run failed to start');
      else log.warn({ ...exit, willRestart }, 'ffmpeg exited while the publisher is live');
      this.deps.bus.emit('transcoder:exited', {
        channel: publish.channel, publishId: publish.publishId, code: exit.code, signal: exit.signal, error: exit.error, willRestart,
      });
      if (!willRestart) return;
      status.restarts++;
      setTimeout(() => {
        if (!job.stopping && job.run === run) void this.spawn(job, log);
      }, 250);
    });
    // A start failure has already finished the run (feed closed, `exited` settled): the handler above takes it from there.
    await run.start().catch(() => {});
  }
}
