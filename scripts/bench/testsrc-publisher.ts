import { spawn, type ChildProcess } from 'node:child_process';
import { resolveFfmpegPath } from '../../transcoder/ffmpeg-path';

/** A real ffmpeg publishing an 854x480p30 test pattern with a tone to `url` (RTMP), in real time, as a light encoder. */
export function startTestsrcPublisher(url: string): ChildProcess {
  const args = [
    '-hide_banner', '-loglevel', 'error', '-re',
    '-f', 'lavfi', '-i', 'testsrc2=size=854x480:rate=30',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '30', '-keyint_min', '30', '-pix_fmt', 'yuv420p',
    '-c:a', 'aac', '-b:a', '96k', '-f', 'flv', url,
  ];
  return spawn(resolveFfmpegPath(), args, { stdio: ['ignore', 'ignore', 'ignore'] });
}
