import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { until } from './liveroom-harness';

/** Debian's redis-server (apt-get install redis-server). */
export const REDIS_SERVER = fs.existsSync('/usr/bin/redis-server') ? '/usr/bin/redis-server' : 'redis-server';

/**
 * A real redis-server on `host`:`port` (127.0.0.1), nothing saved to disk; resolves once it accepts connections.
 * `on`: a command prefix that runs it elsewhere (a test host: tests/helpers/netns.ts); `password`: its requirepass.
 */
export async function startRedisServer(port: number, { host = '127.0.0.1', on = [], password }: { host?: string; on?: string[]; password?: string } = {}): Promise<ChildProcess> {
  const [cmd, ...args] = [...on, REDIS_SERVER, '--port', String(port), '--bind', host, '--save', '', '--appendonly', 'no', ...(password ? ['--requirepass', password] : [])];
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  try {
    await until(() => /Ready to accept connections/.test(out) || proc.exitCode !== null, 10_000, 'redis-server to start');
  } catch (err) {
    proc.kill('SIGKILL');
    throw err;
  }
  if (proc.exitCode !== null) throw new Error(`redis-server exited:\n${out}`);
  return proc;
}

/** SIGTERM, and resolves once it has exited. */
export async function stopRedisServer(proc: ChildProcess | undefined): Promise<void> {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  const gone = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  await gone;
}
