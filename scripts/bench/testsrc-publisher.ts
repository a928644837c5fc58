import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
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

/**
 * The same stream, encoded once (`seconds` long, into `dir`) and then published in a loop without re-encoding:
 * the publisher costs the box almost nothing, so a capacity bench measures the server, as it would with OBS on
 * another machine. Resolves once the publisher is started.
 */
export async function startLoopedTestsrcPublisher(url: string, dir: string, seconds = 10): Promise<ChildProcess> {
  const file = path.join(dir, 'testsrc-loop.flv');
  const encode = [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=854x480:rate=30:duration=${seconds}`,
    '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`,
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '30', '-keyint_min', '30', '-pix_fmt', 'yuv420p',
    '-c:a', 'aac', '-b:a', '96k', '-f', 'flv', file,
  ];
  await new Promise<void>((resolve, reject) => {
    const p = spawn(resolveFfmpegPath(), encode, { stdio: ['ignore', 'ignore', 'inherit'] });
    p.once('error', reject);
    p.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg (loop encode) exited ${code}`))));
  });
  const publish = ['-hide_banner', '-loglevel', 'error', '-re', '-stream_loop', '-1', '-i', file, '-c', 'copy', '-f', 'flv', url];
  return spawn(resolveFfmpegPath(), publish, { stdio: ['ignore', 'ignore', 'ignore'] });
}
