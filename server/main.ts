import { loadConfig } from './config-loader';
import { LiveroomError } from '../core/errors';
import { createLogger } from '../core/logger';
import { Liveroom, type StartedInfo } from './liveroom';

/** `liveroom start` / `npm start`: runs the server until SIGINT or SIGTERM. */
export async function main(): Promise<void> {
  let room: Liveroom | undefined;
  try {
    const config = loadConfig();
    const log = createLogger(config.logLevel);
    room = new Liveroom(config, log);
    const info = await room.start();
    const lines = [
      '',
      '  liveroom is running',
      `  OBS server:  ${info.rtmpUrl}${info.tls ? `   (plain RTMP stays open: ${info.plainRtmpUrl})` : ''}`,
      `  Stream key:  ${streamKeyLine(info)}`,
      `  Player:      ${info.playerUrl}`,
      '',
    ];
    process.stderr.write(lines.join('\n') + '\n');
  } catch (err) {
    await room?.stop().catch(() => {});
    const message = err instanceof LiveroomError ? err.message : (err as Error).stack ?? String(err);
    process.stderr.write(`liveroom: ${message}\n`);
    process.exitCode = 1;
    return;
  }
  // The only place that ends the process: a first signal stops in order (no new publishes, live
  // streams end with ENDLIST, database closed) under a watchdog; a second signal exits at once.
  const timeoutMs = room.config.shutdownTimeoutMs;
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      process.stderr.write(`liveroom: ${signal} again, exiting now\n`);
      room!.abort();
      process.exit(1);
    }
    stopping = true;
    process.stderr.write(`liveroom: ${signal}, stopping (at most ${timeoutMs} ms; send it again to exit now)\n`);
    const watchdog = setTimeout(() => {
      process.stderr.write(`liveroom: did not stop within ${timeoutMs} ms (shutdownTimeoutMs), exiting\n`);
      room!.abort();
      process.exit(1);
    }, timeoutMs);
    room!.stop().then(
      () => {
        clearTimeout(watchdog);
        process.stderr.write('liveroom: stopped\n');
        process.exit(0);
      },
      (err) => {
        clearTimeout(watchdog);
        process.stderr.write(`liveroom: stop failed: ${(err as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  // SIGHUP: a renewed certificate (certbot's deploy hook) is taken up without a restart; without TLS it does nothing.
  process.on('SIGHUP', () => {
    if (!stopping) room!.reloadTls('SIGHUP');
  });
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

/** The key itself only on the start that created it; afterwards, where to get a new one (keys are stored as digests). */
function streamKeyLine(info: StartedInfo): string {
  const create = `liveroom keys create ${info.channel}`;
  switch (info.streamKeyState) {
    case 'created':
      return `${info.streamKey}   (shown only this once: paste it into OBS now; replace a lost key with \`${create}\`)`;
    case 'setting':
      return 'the one in LIVEROOM_STREAM_KEY (streamKey)';
    case 'kept':
      return `set on first run; create a new one with \`${create}\``;
    case 'none':
      return `none active: create one with \`${create}\``;
  }
}

if (require.main === module) void main();
