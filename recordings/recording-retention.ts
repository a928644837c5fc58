import type { RecordingsConfig } from '../core/config-schema';
import type { Logger } from '../core/logger';
import type { Recording, RecordingStore } from '../storage/recording-store';

const DAY_MS = 86_400_000;
const MIB = 1024 * 1024;
/** How often retention runs besides at start and after each broadcast. */
export const RETENTION_INTERVAL_MS = 3_600_000;

export interface RetentionDeps {
  config: Pick<RecordingsConfig, 'maxAgeDays' | 'maxSizeMbPerChannel'>;
  store: RecordingStore;
  /** Deletes one recording (rows and files). */
  remove(id: string): Promise<void>;
  /** A recording still being written is never deleted. */
  isRecording(id: string): boolean;
  log: Logger;
  clock?: () => number;
}

/** Which recordings the limits remove, oldest first; pure (the caller deletes them). */
export function recordingsToDelete(recordings: Recording[], limits: RetentionDeps['config'], now: number, isRecording: (id: string) => boolean): Recording[] {
  const done = recordings.filter((r) => r.status !== 'recording' && !isRecording(r.id)).sort((a, b) => a.startedAt - b.startedAt);
  const out = new Set<Recording>();
  if (limits.maxAgeDays > 0) {
    const cutoff = now - limits.maxAgeDays * DAY_MS;
    for (const r of done) if (r.startedAt < cutoff) out.add(r);
  }
  if (limits.maxSizeMbPerChannel > 0) {
    const cap = limits.maxSizeMbPerChannel * MIB;
    const byChannel = new Map<string, number>();
    for (const r of recordings) if (!out.has(r)) byChannel.set(r.channel, (byChannel.get(r.channel) ?? 0) + r.bytes);
    for (const r of done) {
      if (out.has(r)) continue;
      const total = byChannel.get(r.channel) ?? 0;
      if (total <= cap) continue;
      out.add(r);
      byChannel.set(r.channel, total - r.bytes);
    }
  }
  return [...out].sort((a, b) => a.startedAt - b.startedAt);
}

/**
 * 'recordings.maxAgeDays' and 'recordings.maxSizeMbPerChannel': the oldest
 * recordings go first. Runs at start, hourly (unref'd timer, cleared on stop)
 * and after each broadcast; one run at a time.
 */
export class RecordingRetention {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private again = false;

  constructor(private readonly deps: RetentionDeps) {}

  get active(): boolean {
    return this.deps.config.maxAgeDays > 0 || this.deps.config.maxSizeMbPerChannel > 0;
  }

  start(): void {
    if (!this.active || this.timer) return;
    void this.run();
    this.timer = setInterval(() => void this.run(), RETENTION_INTERVAL_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Deletes what the limits say; resolves with how many were deleted (a run asked for during a run follows it). */
  run(): Promise<number> {
    if (!this.active) return Promise.resolve(0);
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.once()
      .catch((err: Error) => {
        this.deps.log.error({ err: err.message }, 'recording retention failed');
        return 0;
      })
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          void this.run();
        }
      });
    return this.running;
  }

  private async once(): Promise<number> {
    const { store, config, log } = this.deps;
    const all = await store.list({ limit: 1_000_000 });
    const doomed = recordingsToDelete(all, config, (this.deps.clock ?? Date.now)(), (id) => this.deps.isRecording(id));
    for (const r of doomed) {
      await this.deps.remove(r.id);
      log.info({ channel: r.channel, id: r.id, startedAt: new Date(r.startedAt).toISOString(), bytes: r.bytes }, 'recording deleted by retention');
    }
    return doomed.length;
  }
}
