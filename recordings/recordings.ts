import fs from 'node:fs';
import path from 'node:path';
import type { RecordingsConfig } from '../core/config-schema';
import type { LiveroomEvents } from '../core/events';
import { fail } from '../core/errors';
import type { Logger } from '../core/logger';
import type { TypedEmitter } from '../core/typed-emitter';
import type { Recording, RecordingRendition, RecordingSettings, RecordingStore } from '../storage/recording-store';
import { ensurePrivateDir } from '../storage/data-dir';
import { Recorder, effectiveSettings, type EffectiveSettings, type RecorderDeps, type RecorderStatus } from './recorder';
import { RecordingRetention } from './recording-retention';
import { isRecordingId, RecordingPaths } from './recording-paths';
import { nodeRecordingFileSystem, type RecordingFileSystem } from './recording-files';
import { RecordingThumbnails } from './recording-thumbnail';

export interface RecordingsDeps {
  config: RecordingsConfig;
  /** The data folder: recordings go to <dataDir>/recordings unless 'recordings.dir' says otherwise. */
  dataDir: string;
  store: RecordingStore;
  bus: TypedEmitter<LiveroomEvents>;
  log: Logger;
  title: RecorderDeps['title'];
  viewers: RecorderDeps['viewers'];
  likes: RecorderDeps['likes'];
  messagesBetween: RecorderDeps['messagesBetween'];
  /** The bundled ffmpeg, for thumbnails; without it, recordings have none. */
  ffmpegPath?: string;
  fs?: RecordingFileSystem;
  clock?: () => number;
}

/** A recording with what its status line needs: is it being written now, and did writing stop. */
export interface RecordingView extends Recording {
  /** Writing stopped while the broadcast goes on (disk full): the status flag. */
  stopped: RecorderStatus['stopped'];
}

/**
 * Recordings as one part for the composition root: the recorder (broadcasts to
 * files and index), retention, and the lookups the HTTP routes and the admin
 * API need. start() / stop() cover both timers and pending writes.
 */
export class Recordings {
  readonly paths: RecordingPaths;
  private readonly recorder: Recorder;
  private readonly retention: RecordingRetention;
  private readonly thumbnails: RecordingThumbnails | undefined;

  constructor(private readonly deps: RecordingsDeps) {
    this.paths = new RecordingPaths(deps.config.dir ?? path.join(deps.dataDir, 'recordings'));
    const files = deps.fs ?? nodeRecordingFileSystem;
    this.thumbnails = deps.ffmpegPath
      ? new RecordingThumbnails({ ffmpegPath: deps.ffmpegPath, store: deps.store, paths: this.paths, fs: files, log: deps.log })
      : undefined;
    this.recorder = new Recorder({
      config: deps.config,
      paths: this.paths,
      store: deps.store,
      bus: deps.bus,
      log: deps.log,
      title: deps.title,
      viewers: deps.viewers,
      likes: deps.likes,
      messagesBetween: deps.messagesBetween,
      onClosed: (channel, id, how) => {
        this.thumbnails?.make(channel, id);
        if (how === 'ended') void this.retention.run(); // at start, retention.start() runs it
      },
      fs: files,
      clock: deps.clock,
    });
    this.retention = new RecordingRetention({
      config: deps.config,
      store: deps.store,
      remove: (id) => this.recorder.delete(id),
      isRecording: (id) => this.recorder.isRecording(id),
      log: deps.log,
      clock: deps.clock,
    });
  }

  async start(): Promise<void> {
    ensurePrivateDir(this.paths.root);
    // Scratch folders of exports a crash interrupted.
    fs.rmSync(path.join(this.paths.root, '.exports'), { recursive: true, force: true });
    await this.recorder.start();
    this.retention.start();
  }

  async stop(): Promise<void> {
    await this.recorder.stop();
    await this.thumbnails?.stop();
    await this.retention.stop();
  }

  /** Resolves once every recording write queued so far is done (tests wait on it rather than on time). */
  whenWritten(): Promise<void> {
    return this.recorder.whenWritten();
  }

  /** Runs retention now (tests, the admin API); resolves with how many were deleted. */
  applyRetention(): Promise<number> {
    return this.retention.run();
  }

  /** A recording by id (checked: 400 for a malformed id, 404 for an unknown one, or one of another channel). */
  async get(id: string, channel?: string): Promise<RecordingView> {
    if (!isRecordingId(id)) throw fail('LR_RECORDING_BAD_ID', { id: String(id).slice(0, 64) });
    const rec = await this.deps.store.get(id);
    if (!rec || (channel !== undefined && rec.channel !== channel)) throw fail('LR_RECORDING_NOT_FOUND', { id, channel });
    return this.view(rec);
  }

  async list(channel?: string, limit?: number, before?: number): Promise<RecordingView[]> {
    return (await this.deps.store.list({ channel, limit, before })).map((r) => this.view(r));
  }

  renditions(id: string): Promise<RecordingRendition[]> {
    return this.deps.store.renditions(id);
  }

  /** A recorded rendition (404 when it was not recorded). */
  async rendition(rec: Recording, name: string): Promise<RecordingRendition> {
    const r = (await this.deps.store.renditions(rec.id)).find((x) => x.name === name);
    if (!r) throw fail('LR_RECORDING_NO_RENDITION', { id: rec.id, rendition: String(name).slice(0, 64), recorded: rec.renditions });
    return r;
  }

  segments(id: string, rendition: string) {
    return this.deps.store.segments(id, rendition);
  }

  /** The recording's JPEG (404 when it has none: not made yet, or ffmpeg could not make one). */
  thumbnailFile(rec: Recording): string {
    if (!rec.thumbnail) throw fail('LR_RECORDING_NO_THUMBNAIL', { id: rec.id, status: rec.status });
    return this.paths.thumbnail(rec.channel, rec.id);
  }

  /** The thumbnail of the channel's newest recording that has one (among its last 20), for its offline link preview. */
  async latestThumbnailFile(channel: string): Promise<string | undefined> {
    const rec = (await this.deps.store.list({ channel, limit: 20 })).find((r) => r.thumbnail);
    return rec && this.paths.thumbnail(rec.channel, rec.id);
  }

  /** Is the broadcast still on air (its playlist an EVENT one, growing)? */
  isRecording(id: string): boolean {
    return this.recorder.isRecording(id);
  }

  async delete(id: string): Promise<void> {
    await this.get(id);
    await this.recorder.delete(id);
  }

  /** Recordings being written now, with the disk-full flag. */
  status(): RecorderStatus[] {
    return this.recorder.status();
  }

  async settings(channel: string): Promise<{ own: RecordingSettings; effective: EffectiveSettings }> {
    const own = await this.deps.store.settings(channel);
    return { own, effective: effectiveSettings(own, this.deps.config) };
  }

  setSettings(channel: string, own: RecordingSettings): Promise<void> {
    return this.deps.store.setSettings(channel, own);
  }

  private view(rec: Recording): RecordingView {
    return { ...rec, stopped: this.recorder.status().find((s) => s.id === rec.id)?.stopped ?? null };
  }
}
