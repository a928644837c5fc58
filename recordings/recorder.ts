import type { RecordingsConfig } from '../core/config-schema';
import type { BroadcastEnded, BroadcastStarted, LiveroomEvents, MediaInit, MediaSegment } from '../core/events';
import { fail } from '../core/errors';
import type { Logger } from '../core/logger';
import type { TypedEmitter } from '../core/typed-emitter';
import type { RecordingSettings, RecordingStatus, RecordingStore } from '../storage/recording-store';
import { nodeRecordingFileSystem, removeTempFiles, type RecordingFileSystem } from './recording-files';
import { recordingFiles, type RecordingPaths } from './recording-paths';

export interface RecorderDeps {
  config: RecordingsConfig;
  paths: RecordingPaths;
  store: RecordingStore;
  bus: TypedEmitter<LiveroomEvents>;
  log: Logger;
  /** The channel's title now (kept with the recording). */
  title(channel: string): Promise<string>;
  /** Viewers of the channel now (the peak is kept). */
  viewers(channel: string): number;
  /** The channel's like total now (the difference over the broadcast is kept). */
  likes(channel: string): Promise<number>;
  /** Chat messages the channel had from `from` to `to` (ms). */
  messagesBetween(channel: string, from: number, to: number): Promise<number>;
  /**
   * A recording was closed: its broadcast ended ('ended'), or the previous run left it open and this start
   * closed it as interrupted ('recovered'). Thumbnails are made, retention runs.
   */
  onClosed?(channel: string, id: string, how: 'ended' | 'recovered'): void;
  fs?: RecordingFileSystem;
  clock?: () => number;
}

/** What a channel is set to record: the channel's own settings over the server's. */
export interface EffectiveSettings {
  enabled: boolean;
  renditions: 'top' | 'all' | string[];
}

export function effectiveSettings(own: RecordingSettings, config: RecordingsConfig): EffectiveSettings {
  return { enabled: own.enabled ?? config.enabled, renditions: own.renditions ?? config.renditions };
}

/** Whether rendition `name` of a broadcast with this ladder is recorded. 'top' is the ladder's first rendition. */
export function wantsRendition(renditions: EffectiveSettings['renditions'], ladder: string[], name: string): boolean {
  if (renditions === 'all') return true;
  if (renditions === 'top') return ladder.length === 0 || ladder[0] === name;
  return renditions.includes(name);
}

/** A channel's recording right now, for status: what is being written, and whether writing stopped (disk full). */
export interface RecorderStatus {
  channel: string;
  id: string;
  renditions: string[];
  /** Why writing stopped while the broadcast goes on; null while it writes. */
  stopped: 'disk-full' | 'failed' | null;
}

interface Active {
  id: string;
  channel: string;
  startedAt: number;
  likesAtStart: number;
  settings: EffectiveSettings;
  /** The row exists (created on the first recorded init). */
  created: boolean;
  /** Per rendition: recorded or not, decided on its first init. */
  decided: Map<string, boolean>;
  segments: number;
  stopped: 'disk-full' | 'failed' | null;
  /** Every step of this broadcast (its settings read, each write and its index rows), in order. */
  queue: Promise<void>;
}

/**
 * Records every broadcast from the packager's own media: each completed init
 * segment and segment (fMP4, as served live) goes to its own file, written
 * whole and renamed into place, then indexed in the store. No second ffmpeg, no
 * re-mux, nothing held open: a kill -9 loses at most the segment being written.
 * A write that fails (ENOSPC) stops this broadcast's recording with one log
 * line and a status; the live stream is never touched.
 */
export class Recorder {
  private readonly active = new Map<string, Active>();
  private readonly finishing = new Set<Promise<void>>();
  private readonly unsubscribe: (() => void)[] = [];
  private readonly fs: RecordingFileSystem;
  private readonly clock: () => number;

  constructor(private readonly deps: RecorderDeps) {
    this.fs = deps.fs ?? nodeRecordingFileSystem;
    this.clock = deps.clock ?? Date.now;
  }

  /** Closes the recordings a crash left open (status `interrupted`), then listens for broadcasts. */
  async start(): Promise<void> {
    if (this.unsubscribe.length) return;
    await this.recover();
    this.listen('broadcast:started', (e) => this.guard(() => this.broadcastStarted(e)));
    this.listen('media:init', (e) => this.guard(() => this.mediaInit(e)));
    this.listen('media:segment', (e) => this.guard(() => this.mediaSegment(e)));
    this.listen('broadcast:ended', (e) => this.guard(() => this.broadcastEnded(e)));
  }

  /** Resolves once every write queued so far (segments, inits, the index rows of broadcasts that ended) is done. */
  async whenWritten(): Promise<void> {
    await Promise.all([...this.active.values()].map((a) => a.queue));
    await Promise.all([...this.finishing]);
  }

  /** Stops listening and waits for every pending write; a broadcast still open is left `recording` (the next start closes it). */
  async stop(): Promise<void> {
    for (const off of this.unsubscribe.splice(0)) off();
    await this.whenWritten();
  }

  /** Recordings being written now. */
  status(): RecorderStatus[] {
    return [...this.active.values()]
      .filter((a) => a.created)
      .map((a) => ({ channel: a.channel, id: a.id, renditions: [...a.decided].filter(([, on]) => on).map(([n]) => n), stopped: a.stopped }));
  }

  isRecording(id: string): boolean {
    return this.active.has(id);
  }

  /** Deletes a finished recording: its rows, then its folder. */
  async delete(id: string): Promise<void> {
    const rec = await this.deps.store.get(id);
    if (!rec) throw fail('LR_RECORDING_NOT_FOUND', { id });
    if (this.active.has(id) || rec.status === 'recording') throw fail('LR_RECORDING_IN_PROGRESS', { id, action: 'delete' });
    await this.deps.store.delete(id);
    await this.fs.remove(this.deps.paths.recording(rec.channel, id));
  }

  private listen<K extends keyof LiveroomEvents & string>(event: K, fn: LiveroomEvents[K]) {
    this.deps.bus.on(event, fn);
    this.unsubscribe.push(() => this.deps.bus.off(event, fn));
  }

  /** A bug here must never reach the emitter (the packager, the coordinator): logged, and the live stream goes on. */
  private guard(fn: () => void) {
    try {
      fn();
    } catch (err) {
      this.deps.log.error({ err: (err as Error).message }, 'recorder failed to handle an event');
    }
  }

  private async recover() {
    const { store, paths, log } = this.deps;
    for (const rec of await store.unfinished()) {
      const first = (await store.renditions(rec.id))[0];
      const last = first ? (await store.segments(rec.id, first.name)).at(-1) : undefined;
      const endedAt = last ? last.programDateTime + Math.round(last.duration * 1000) : rec.startedAt + Math.round(rec.duration * 1000);
      const messages = await this.deps.messagesBetween(rec.channel, rec.startedAt, endedAt);
      await store.finish(rec.id, { endedAt, status: 'interrupted', messages, likes: null });
      const temp = removeTempFiles(paths.recording(rec.channel, rec.id));
      log.warn({ channel: rec.channel, id: rec.id, duration: rec.duration, removedTempFiles: temp }, 'recording left open by the previous run (crash or kill): kept as interrupted');
      this.deps.onClosed?.(rec.channel, rec.id, 'recovered');
    }
  }

  private broadcastStarted(e: BroadcastStarted) {
    const a: Active = {
      id: e.broadcastId,
      channel: e.channel,
      startedAt: e.startedAt,
      likesAtStart: 0,
      // Off until the channel's settings are read: the first step of the queue, before any media of it.
      settings: { enabled: false, renditions: this.deps.config.renditions },
      created: false,
      decided: new Map(),
      segments: 0,
      stopped: null,
      queue: Promise.resolve(),
    };
    this.active.set(e.broadcastId, a);
    a.queue = (async () => {
      const [own, likes] = await Promise.all([this.deps.store.settings(e.channel), this.deps.likes(e.channel)]);
      a.settings = effectiveSettings(own, this.deps.config);
      a.likesAtStart = likes;
      if (!a.settings.enabled) this.deps.log.debug({ channel: e.channel, id: e.broadcastId }, 'recording is off for this channel');
    })().catch((err: Error) => this.deps.log.error({ channel: e.channel, id: e.broadcastId, err: err.message }, 'recording settings could not be read: this broadcast is not recorded'));
  }

  private mediaInit(e: MediaInit) {
    const a = this.active.get(e.broadcastId);
    if (!a) return;
    const dir = this.deps.paths.rendition(a.channel, a.id, e.rendition);
    const file = this.deps.paths.file(a.channel, a.id, e.rendition, recordingFiles.init(e.initId));
    const { bytes } = e;
    // Decided in the queue: after the settings are read, and in order with the segments.
    this.enqueue(a, file, async () => {
      if (!a.settings.enabled) return;
      let on = a.decided.get(e.rendition);
      if (on === undefined) {
        on = wantsRendition(a.settings.renditions, e.ladder, e.rendition);
        a.decided.set(e.rendition, on);
        if (on && !(await this.ensureRow(a))) on = false;
        if (on) await this.deps.store.addRendition(a.id, { name: e.rendition, width: e.width, height: e.height, codecs: e.codecs });
      }
      if (!on || a.stopped) return;
      await this.fs.mkdir(dir);
      await this.fs.write(file, bytes);
      await this.deps.store.addInitBytes(a.id, e.rendition, bytes.length);
    });
  }

  private mediaSegment(e: MediaSegment) {
    const a = this.active.get(e.broadcastId);
    if (!a || a.decided.get(e.rendition) === false || a.stopped) return;
    const file = this.deps.paths.file(a.channel, a.id, e.rendition, recordingFiles.segment(e.msn));
    const { bytes } = e;
    const segment = { rendition: e.rendition, msn: e.msn, initId: e.initId, duration: e.duration, programDateTime: e.programDateTime, discontinuity: e.discontinuity, bytes: bytes.length };
    const viewers = this.deps.viewers(a.channel); // as the segment completes, not when its write gets its turn
    this.enqueue(a, file, async () => {
      if (!a.decided.get(e.rendition)) return; // its init was not recorded (or has not come)
      await this.fs.write(file, bytes);
      await this.deps.store.addSegment(a.id, segment, viewers);
      a.segments++;
    });
  }

  private broadcastEnded(e: BroadcastEnded) {
    const a = this.active.get(e.broadcastId);
    if (!a) return;
    const done = a.queue
      .then(() => this.finish(a, e.endedAt))
      .catch((err: Error) => this.deps.log.error({ channel: a.channel, id: a.id, err: err.message }, 'recording could not be closed'))
      .finally(() => {
        this.active.delete(a.id);
        this.finishing.delete(done);
      });
    this.finishing.add(done);
  }

  private async finish(a: Active, endedAt: number) {
    if (!a.created) return;
    const { store, log } = this.deps;
    if (a.segments === 0 && !a.stopped) {
      // Nothing playable came of it (the transcoder never got going): no empty recording in the list.
      await store.delete(a.id);
      await this.fs.remove(this.deps.paths.recording(a.channel, a.id));
      return;
    }
    const status: RecordingStatus = a.stopped ?? 'complete';
    const messages = await this.deps.messagesBetween(a.channel, a.startedAt, endedAt);
    const likes = Math.max(0, (await this.deps.likes(a.channel)) - a.likesAtStart);
    await store.finish(a.id, { endedAt, status, messages, likes });
    const rec = await store.get(a.id);
    log.info({ channel: a.channel, id: a.id, status, duration: rec?.duration, bytes: rec?.bytes }, 'recording finished');
    if (rec) {
      const ready = { channel: a.channel, recordingId: a.id, status, startedAt: rec.startedAt, endedAt, duration: rec.duration, bytes: rec.bytes };
      this.guard(() => this.deps.bus.emit('recording:ready', ready));
    }
    this.deps.onClosed?.(a.channel, a.id, 'ended');
  }

  /** Creates the recording's row on its first recorded rendition; false when the id is taken (never overwritten). */
  private async ensureRow(a: Active): Promise<boolean> {
    if (a.created) return true;
    const title = await this.deps.title(a.channel);
    const ok = await this.deps.store.create({ id: a.id, channel: a.channel, title, startedAt: a.startedAt });
    if (!ok) {
      this.deps.log.error({ channel: a.channel, id: a.id }, 'a recording with this broadcast id exists already: this broadcast is not recorded');
      a.settings = { ...a.settings, enabled: false };
      return false;
    }
    a.created = true;
    return true;
  }

  private enqueue(a: Active, file: string, write: () => Promise<void>) {
    a.queue = a.queue.then(async () => {
      if (a.stopped) return;
      try {
        await write();
      } catch (err) {
        await this.writeFailed(a, file, err as NodeJS.ErrnoException);
      }
    });
  }

  private async writeFailed(a: Active, file: string, err: NodeJS.ErrnoException) {
    // ENOSPC, SQLITE_FULL, EDQUOT; PostgreSQL's disk_full is SQLSTATE 53100.
    const full = err.code === 'ENOSPC' || err.code === 'SQLITE_FULL' || err.code === 'EDQUOT' || err.code === '53100';
    a.stopped = full ? 'disk-full' : 'failed';
    try {
      if (a.created) await this.deps.store.setStatus(a.id, a.stopped);
    } catch {
      // the database may be on the full disk too; the status is in memory (liveroom recordings list) and the log
    }
    this.deps.log.error(
      { channel: a.channel, id: a.id, file, code: err.code, err: err.message },
      full
        ? 'recording stopped: the disk is full; the live stream goes on. Free space, or set recordings.maxSizeMbPerChannel / recordings.maxAgeDays'
        : 'recording stopped: a recording file could not be written; the live stream goes on',
    );
  }
}
