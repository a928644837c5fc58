/**
 * A real nginx (Debian's /usr/sbin/nginx) as a child process, with its own
 * prefix, config and temp folders in a fresh temp dir, on a free loopback port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const NGINX = process.env.NGINX_PATH ?? '/usr/sbin/nginx';

export interface Nginx {
  port: number;
  pid: number | undefined;
  url: string;
  errorLog(): string;
  stop(): Promise<void>;
}

/** nginx processes started and not yet stopped (killed by killAllNginxSync when the bench runner is killed). */
const running = new Set<ChildProcess>();

export function killAllNginxSync(): void {
  for (const proc of running) proc.kill('SIGKILL');
}

export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

export interface NginxOptions {
  /** Connections its one worker may hold (viewers and their origin requests). */
  workerConnections?: number;
  /** Where it is reached (127.0.0.1) and the port `{{PORT}}` stands for (a free one). */
  host?: string;
  port?: number;
  /** A command prefix that runs it elsewhere (a test host: tests/helpers/netns.ts). */
  on?: string[];
}

/** Starts nginx with `httpBlock` (the inside of `http { }`; `{{PORT}}` is replaced by the port it listens on). */
export async function startNginx(httpBlock: string, { workerConnections = 2048, host = '127.0.0.1', port: givenPort, on = [] }: NginxOptions = {}): Promise<Nginx> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-nginx-'));
  const port = givenPort ?? (await freePort());
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${path.join(dir, t)};`).join('\n');
  const conf = `daemon off;
master_process off;
worker_processes 1;
pid ${path.join(dir, 'nginx.pid')};
error_log ${path.join(dir, 'error.log')} warn;
worker_rlimit_nofile ${workerConnections * 2};
events { worker_connections ${workerConnections}; }
http {
  access_log off;
${temp}
${httpBlock.replaceAll('{{PORT}}', String(port))}
}
`;
  fs.writeFileSync(path.join(dir, 'nginx.conf'), conf);
  const [cmd, ...args] = [...on, NGINX, '-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log')];
  const proc: ChildProcess = spawn(cmd, args, {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  running.add(proc);
  let stderr = '';
  proc.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => (running.delete(proc), resolve())));
  const errorLog = () => {
    try {
      return fs.readFileSync(path.join(dir, 'error.log'), 'utf8') + stderr;
    } catch {
      return stderr;
    }
  };
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    await exited;
    fs.rmSync(dir, { recursive: true, force: true });
  };
  // Ready once it accepts connections.
  const end = Date.now() + 10_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`nginx exited: ${errorLog()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, host, () => (s.destroy(), resolve(true)));
      s.on('error', () => resolve(false));
    });
    if (ok) break;
    if (Date.now() > end) {
      await stop();
      throw new Error(`nginx did not listen: ${errorLog()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { port, pid: proc.pid, url: `http://${host}:${port}`, errorLog, stop };
}

/**
 * deploy/nginx-edge.conf ready to run here: its three marked lines (cache folder, listen port,
 * origin) pointed at `cacheDir`, the helper's port and `origin`; `accessLog` gets one line per
 * request: `<upstream cache status> <request uri>`.
 */
export function edgeConfig(root: string, origin: string, cacheDir: string, accessLog: string): string {
  const conf = fs.readFileSync(path.join(root, 'deploy', 'nginx-edge.conf'), 'utf8');
  const replaced = conf
    .replace('/var/cache/nginx/liveroom', cacheDir)
    .replace('listen 8080;', 'listen 127.0.0.1:{{PORT}};')
    .replaceAll('http://127.0.0.1:8000', origin.replace(/\/$/, ''))
    .replace('server_name _;', `server_name _;\n    access_log ${accessLog} edge;`);
  if (replaced.split(origin.replace(/\/$/, '')).length !== 3 || !replaced.includes(cacheDir) || !replaced.includes('{{PORT}}')) {
    throw new Error('deploy/nginx-edge.conf no longer has the three marked lines this expects');
  }
  return `log_format edge '$upstream_cache_status $request_uri';\n${replaced}`;
}

export interface EdgeLogStats {
  /** Distinct part URIs requested through the edge, and how many of those requests reached the origin. */
  parts: number;
  partOriginRequests: number;
  /** Distinct blocking playlist requests (_HLS_msn) and how many reached the origin. */
  blocking: number;
  blockingOriginRequests: number;
  requests: number;
  originRequests: number;
}

/** Reads the access log written with edgeConfig's format: a request with a cache status other than HIT went to the origin. */
export function edgeLogStats(accessLog: string): EdgeLogStats {
  const lines = fs.existsSync(accessLog) ? fs.readFileSync(accessLog, 'utf8').trim().split('\n').filter(Boolean) : [];
  const parts = new Set<string>();
  const blocking = new Set<string>();
  const s: EdgeLogStats = { parts: 0, partOriginRequests: 0, blocking: 0, blockingOriginRequests: 0, requests: lines.length, originRequests: 0 };
  for (const line of lines) {
    const [status, uri] = line.split(' ');
    // '-' : not cacheable or not through the cache (the multivariant playlist, pages): it reached the origin.
    const origin = status !== 'HIT';
    if (origin) s.originRequests++;
    if (/\/part-[^/?]+\.m4s$/.test(uri)) {
      parts.add(uri);
      if (origin) s.partOriginRequests++;
    } else if (/index\.m3u8\?.*_HLS_msn=/.test(uri)) {
      blocking.add(uri);
      if (origin) s.blockingOriginRequests++;
    }
  }
  s.parts = parts.size;
  s.blocking = blocking.size;
  return s;
}
