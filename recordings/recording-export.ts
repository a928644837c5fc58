import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fail } from '../core/errors';
import type { RecordedSegment } from '../storage/recording-store';
import { exportArgs } from './export-args';
import { FfmpegRunError, runFfmpeg } from './ffmpeg-run';
import { renderVodMedia } from './vod-playlist';

export interface ExportJob {
  id: string;
  ffmpegPath: string;
  /** Scratch space on the recordings' own disk (removed by cleanup()). */
  workDir: string;
  /** The recorded rendition's folder. */
  renditionDir: string;
  segments: RecordedSegment[];
  /** Ends ffmpeg early (the client went away). */
  signal?: AbortSignal;
  /** 0…1 as ffmpeg goes. */
  onProgress?(fraction: number): void;
}

export interface ExportedFile {
  file: string;
  bytes: number;
  /** Removes the MP4 and its scratch folder. */
  cleanup(): Promise<void>;
}

/**
 * Remuxes a recorded rendition into one progressive MP4 with the bundled
 * ffmpeg (a copy, no encode): a VOD playlist of the files on disk goes in,
 * discontinuities and all, and `out.mp4` comes out in a scratch folder.
 */
export async function exportRecording(job: ExportJob): Promise<ExportedFile> {
  const dir = path.join(job.workDir, `${job.id}-${crypto.randomBytes(4).toString('hex')}`);
  await fs.promises.mkdir(dir, { recursive: true, mode: 0o700 });
  const cleanup = () => fs.promises.rm(dir, { recursive: true, force: true });
  try {
    const playlist = path.join(dir, 'index.m3u8');
    const output = path.join(dir, 'out.mp4');
    await fs.promises.writeFile(playlist, renderVodMedia(job.segments, true, (f) => path.join(job.renditionDir, f)), { mode: 0o600 });
    const total = job.segments.reduce((a, s) => a + s.duration, 0);
    await run(job, exportArgs(playlist, output), total);
    const bytes = (await fs.promises.stat(output)).size;
    return { file: output, bytes, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

async function run(job: ExportJob, args: string[], totalSeconds: number): Promise<void> {
  let out = '';
  const onStdout = (d: Buffer) => {
    out += d.toString();
    const lines = out.split('\n');
    out = lines.pop() ?? '';
    for (const line of lines) {
      const m = /^out_time_us=(\d+)/.exec(line);
      if (m && totalSeconds > 0) job.onProgress?.(Math.min(1, Number(m[1]) / 1e6 / totalSeconds));
    }
  };
  try {
    await runFfmpeg({ ffmpegPath: job.ffmpegPath, args, signal: job.signal, onStdout });
  } catch (err) {
    if (err instanceof FfmpegRunError && err.aborted) throw new Error('export aborted');
    throw fail('LR_RECORDING_EXPORT_FAILED', { id: job.id, reason: (err as Error).message });
  }
}
