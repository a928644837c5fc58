import fs from 'node:fs';

/** The ffmpeg binary: the configured path, then FFMPEG_PATH, then the one @ffmpeg-installer/ffmpeg ships. */
export function resolveFfmpegPath(configured?: string, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = configured ?? env.FFMPEG_PATH ?? (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
  if (!fs.existsSync(chosen)) {
    throw new Error(`ffmpeg not found at ${chosen}: set 'transcoder.ffmpegPath' or FFMPEG_PATH, or reinstall @ffmpeg-installer/ffmpeg`);
  }
  return chosen;
}
