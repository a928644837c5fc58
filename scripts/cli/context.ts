import type { Command } from 'commander';
import { AdminClient, type ConnectionOptions } from './admin-client';

export interface GlobalOptions extends ConnectionOptions {
  json?: boolean;
}

/** What every admin command needs: the client (built on first use) and where to print. */
export interface Context {
  client: AdminClient;
  json: boolean;
  /** Human output, or the JSON value with --json. */
  print(human: () => string, json: unknown): void;
}

export function context(cmd: Command): Context {
  const opts = cmd.optsWithGlobals<GlobalOptions>();
  let client: AdminClient | undefined;
  return {
    get client() {
      return (client ??= new AdminClient(opts));
    },
    json: Boolean(opts.json),
    print(human, json) {
      process.stdout.write(opts.json ? `${JSON.stringify(json, null, 2)}\n` : `${human()}\n`);
    },
  };
}

/** Wraps an action so it receives its context (the command is commander's last argument). */
export function withContext<A extends unknown[]>(fn: (ctx: Context, ...args: A) => Promise<void>) {
  return async (...args: unknown[]) => {
    const cmd = args[args.length - 1] as Command;
    await fn(context(cmd), ...(args.slice(0, -1) as A));
  };
}
