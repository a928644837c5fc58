import { spawnSync } from 'node:child_process';
import { resolveFfmpegPath } from '../../transcoder/ffmpeg-path';

/**
 * What ffmpeg reads of a media file: its container duration in seconds and its streams
 * (@ffmpeg-installer ships no ffprobe; `ffmpeg -i` prints the same header and exits 1).
 */
export function probeMedia(file: string): { duration: number; streams: string[]; format: string } {
  const r = spawnSync(resolveFfmpegPath(), ['-hide_banner', '-i', file], { encoding: 'utf8' });
  const text = r.stderr;
  const d = /Duration: (\d+):(\d+):(\d+\.\d+)/.exec(text);
  if (!d) throw new Error(`ffmpeg read no duration from ${file}:\n${text}`);
  const format = /Input #0, ([^,]+(?:,[^,]+)*?), from/.exec(text)?.[1] ?? '';
  return {
    duration: Number(d[1]) * 3600 + Number(d[2]) * 60 + Number(d[3]),
    streams: [...text.matchAll(/Stream #0:\d+[^:]*: (Video|Audio): (\w+)/g)].map((m) => `${m[1].toLowerCase()}:${m[2]}`),
    format,
  };
}
