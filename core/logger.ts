import pino, { type Logger } from 'pino';

export type { Logger };

/** The one root logger; parts take `root.child({ module, channel })`. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, destination ?? pino.destination(1));
}
