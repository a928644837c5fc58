import fs from 'node:fs';
import type { Logger } from '../core/logger';
import type { RecordedSegment, RecordingStore } from '../storage/recording-store';
import type { RecordingFileSystem } from './recording-files';
import { recordingFiles, type RecordingPaths } from './recording-paths';
import { segmentJpeg } from './segment-jpeg';

/** Pixels wide; the height follows the picture's aspect ratio. */
export const THUMBNAIL_WIDTH = 320;

/** Seconds kept before a segment's end when seeking into it: more than a frame at any frame rate a publisher sends. */
const LAST_FRAME_MARGIN = 0.1;

/** The segment that holds the middle of a rendition's media, and how far into it the middle is (seconds). */
export function middleOf(segments: RecordedSegment[]): { segment: RecordedSegment; offset: number } | undefined {
  const total = segments.reduce((a, s) => a + s.duration, 0);
  let start = 0;
  for (const segment of segments) {
    // A middle on a boundary is the next segment's first frame; never past a segment's last frame.
    if (start + segment.duration > total / 2) return { segment, offset: Math.max(0, Math.min(total / 2 - start, segment.duration - LAST_FRAME_MARGIN)) };
    start += segment.duration;
  }
  const last = segments.at(-1);
  return last && { segment: last, offset: 0 };
}

export interface RecordingThumbnailsDeps {
  ffmpegPath: string;
  store: RecordingStore;
  paths: RecordingPaths;
  fs: RecordingFileSystem;
  log: Logger;
}

/**
 * One JPEG per recording, the frame at the middle of its first recorded
 * rendition, made by the bundled ffmpeg when the recording closes and kept as
 * `thumb.jpg` in its folder (flagged in the index). A failure logs one line
 * and changes nothing else. stop() waits for the ones being made.
 */
export class RecordingThumbnails {
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly deps: RecordingThumbnailsDeps) {}

  make(channel: string, id: string): void {
    const job = this.run(channel, id)
      .catch((err: Error) => this.deps.log.warn({ channel, id, err: err.message }, 'no thumbnail for this recording: ffmpeg could not make one'))
      .finally(() => this.pending.delete(job));
    this.pending.add(job);
  }

  /** Waits for the ones being made (one frame each: well under a second). */
  async stop(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  private async run(channel: string, id: string) {
    const { store, paths } = this.deps;
    const rendition = (await store.get(id))?.renditions[0];
    const middle = rendition ? middleOf(await store.segments(id, rendition)) : undefined;
    if (!rendition || !middle) throw new Error('no recorded segment');
    const [init, segment] = await Promise.all([
      fs.promises.readFile(paths.file(channel, id, rendition, recordingFiles.init(middle.segment.initId))),
      fs.promises.readFile(paths.file(channel, id, rendition, recordingFiles.segment(middle.segment.msn))),
    ]);
    const jpeg = await segmentJpeg({ ffmpegPath: this.deps.ffmpegPath, init, segment, frame: { offsetSeconds: middle.offset }, width: THUMBNAIL_WIDTH });
    await this.deps.fs.write(paths.thumbnail(channel, id), jpeg);
    await store.setThumbnail(id, true);
  }
}
