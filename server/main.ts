import { loadConfig } from './config-loader';
import { LiveroomError } from '../core/errors';
import { createLogger } from '../core/logger';
import { Liveroom } from './liveroom';

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
      `  OBS server:  ${info.rtmpUrl}`,
      `  Stream key:  ${info.streamKey ?? '(none active: create one with `liveroom keys create`)'}`,
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
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`liveroom: ${signal}, stopping\n`);
    room!.stop().then(
      () => process.exit(0),
      (err) => {
        process.stderr.write(`liveroom: stop failed: ${(err as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

if (require.main === module) void main();
