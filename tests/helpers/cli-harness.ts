import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
export const CLI = path.join(ROOT, 'dist', 'scripts', 'cli.js');
export const BIN = path.join(ROOT, 'bin', 'liveroom.js');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

/** Compiles (tsconfig.build.json) when dist/ is older than the sources: the tests run the real built CLI and server. */
export function ensureBuilt(): void {
  const dirs = ['core', 'cluster', 'server', 'transcoder', 'broadcast', 'storage', 'ingest', 'packager', 'recordings', 'scripts', 'chat', 'webhooks', 'analytics'].map((d) => path.join(ROOT, d)).filter((d) => fs.existsSync(d));
  const newest = Math.max(...dirs.map(newestSource));
  const built = [CLI, path.join(ROOT, 'dist', 'server', 'main.js')].map((f) => (fs.existsSync(f) ? fs.statSync(f).mtimeMs : 0));
  if (Math.min(...built) >= newest) return;
  const r = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
  if (!fs.existsSync(CLI)) throw new Error(`build failed:\n${r.stdout}${r.stderr}`);
  if (r.status !== 0) process.stderr.write(`tsc reported errors (dist was still written):\n${r.stdout}\n`);
}

export async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

export interface ServerProcess {
  proc: ChildProcess;
  env: NodeJS.ProcessEnv;
  /** http://127.0.0.1:PORT, or https:// when LIVEROOM_TLS_CERT is given. */
  base: string;
  rtmp: string;
  /** The RTMPS port (open only with a certificate). */
  rtmpsPort: number;
  dataDir: string;
  log(): string;
  stop(): Promise<void>;
}

/** `liveroom start` as a real process, on free ports and a fresh data folder, configured by LIVEROOM_* variables. */
export async function startServerProcess(extraEnv: NodeJS.ProcessEnv = {}): Promise<ServerProcess> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'liveroom-cli-'));
  // Ports given in extraEnv are kept (a node that must know its own URL before it starts); the others are free ones.
  const given = (name: string) => Number(extraEnv[name]) || freePort();
  const [httpPort, rtmpPort, rtmpsPort] = [await given('LIVEROOM_HTTP_PORT'), await given('LIVEROOM_RTMP_PORT'), await given('LIVEROOM_RTMPS_PORT')];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    LIVEROOM_DATA_DIR: dataDir,
    LIVEROOM_HTTP_PORT: String(httpPort),
    LIVEROOM_HTTP_HOST: '127.0.0.1',
    LIVEROOM_RTMP_PORT: String(rtmpPort),
    LIVEROOM_RTMP_HOST: '127.0.0.1',
    LIVEROOM_RTMPS_PORT: String(rtmpsPort),
    LIVEROOM_LOG_LEVEL: 'warn',
    LIVEROOM_CONFIG: '',
    LIVEROOM_SERVER: '',
    LIVEROOM_ADMIN_TOKEN: '',
    ...extraEnv,
  };
  return spawnServer({ command: [process.execPath, BIN, 'start'], env, httpPort, rtmpPort, rtmpsPort, dataDir });
}

export interface SpawnServerOptions {
  /** The program and its arguments (a unit's ExecStart=, or `node bin/liveroom.js start`). */
  command: string[];
  /** The whole environment of the process: nothing else is added. */
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** Where it is reached (127.0.0.1). */
  host?: string;
  httpPort: number;
  rtmpPort: number;
  rtmpsPort?: number;
  /** The node's data folder, deleted by stop(). */
  dataDir: string;
}

/** Spawns a server exactly as given and waits until it answers; stop() sends SIGTERM (SIGKILL after 10 s) and deletes its data folder. */
export async function spawnServer({ command, env, cwd, host = '127.0.0.1', httpPort, rtmpPort, rtmpsPort = 0, dataDir }: SpawnServerOptions): Promise<ServerProcess> {
  const proc = spawn(command[0], command.slice(1), { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const ca = env.LIVEROOM_TLS_CERT ? fs.readFileSync(env.LIVEROOM_TLS_CERT) : undefined;
  const base = `${ca ? 'https' : 'http'}://${host}:${httpPort}`;
  const until = Date.now() + 20_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`the server exited at start:\n${out}`);
    const ok = await (ca ? httpsOk(`${base}/api/channels/live`, ca) : fetch(`${base}/api/channels/live`).then((r) => r.ok, () => false));
    if (ok) break;
    if (Date.now() > until) {
      proc.kill('SIGKILL');
      throw new Error(`the server did not answer in 20 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    proc,
    env,
    base,
    rtmp: `rtmp://${host}:${rtmpPort}/live`,
    rtmpsPort,
    dataDir,
    log: () => out,
    stop: async () => {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000).unref())]);
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A 2xx over https trusting `ca` (the server's self-signed certificate). */
function httpsOk(url: string, ca: Buffer): Promise<boolean> {
  return new Promise((resolve) => {
    https
      .get(url, { ca, agent: false }, (res) => {
        res.resume();
        resolve((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300);
      })
      .on('error', () => resolve(false));
  });
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI as a real process. */
export function runCli(args: string[], env: NodeJS.ProcessEnv, stdin?: string): Promise<CliResult> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [CLI, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout!.on('data', (d) => (stdout += d));
    proc.stderr!.on('data', (d) => (stderr += d));
    proc.stdin!.end(stdin ?? '');
    proc.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
