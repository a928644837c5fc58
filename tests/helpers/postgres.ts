import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

/** A PostgreSQL server of the test run's own: a fresh cluster in a temporary folder, on 127.0.0.1 and a socket there. */
export interface TestPostgres {
  host: string;
  port: number;
  /** A new, empty database, and its URL (postgres://postgres@127.0.0.1:PORT/NAME). */
  createDatabase(name?: string): Promise<string>;
  /** Stops the server (a fast shutdown: open connections are ended), keeping its data: a database outage. */
  halt(): Promise<void>;
  /** Starts it again on the same data and port, and waits until it answers. */
  resume(): Promise<void>;
  stop(): Promise<void>;
}

/** Debian's server binaries (apt-get install postgresql): the newest version installed. */
export function postgresBinaries(): { initdb: string; postgres: string; version: string } {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root) ? fs.readdirSync(root).filter((v) => fs.existsSync(path.join(root, v, 'bin', 'initdb'))) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  if (versions.length === 0) {
    throw new Error(`PostgreSQL is not installed: no ${root}/*/bin/initdb. Install it (apt-get install postgresql; .ci/run does) to run the PostgreSQL tests.`);
  }
  const bin = path.join(root, versions[0], 'bin');
  return { initdb: path.join(bin, 'initdb'), postgres: path.join(bin, 'postgres'), version: versions[0] };
}

/**
 * PostgreSQL refuses to run as root: as root, its commands run as the 'postgres' user the Debian package creates,
 * through setpriv, which execs them (no process in between: a signal to the child reaches the server itself).
 */
function asServerUser(cmd: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', cmd, ...args]] : [cmd, args];
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface PostgresOptions {
  /** The address it listens on (127.0.0.1) and its port (a free one). */
  host?: string;
  port?: number;
  /** A command prefix that runs it elsewhere (a test host: tests/helpers/netns.ts). */
  on?: string[];
  /** Clients from this CIDR are trusted too (only loopback otherwise). */
  allow?: string;
}

/** Starts a throwaway cluster (trust authentication, no fsync: test data only) and waits until it answers. */
export async function startPostgres({ host = '127.0.0.1', port: givenPort, on = [], allow }: PostgresOptions = {}): Promise<TestPostgres> {
  const { initdb, postgres } = postgresBinaries();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-pg-'));
  const data = path.join(dir, 'data');
  const socketDir = path.join(dir, 'sock');
  fs.mkdirSync(socketDir);
  if (process.getuid?.() === 0) {
    const { stdout } = await run('id', ['-u', 'postgres']).catch(() => {
      throw new Error("PostgreSQL tests run as root need the 'postgres' system user (the Debian package creates it)");
    });
    const uid = Number(stdout.trim());
    const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
    for (const d of [dir, socketDir]) fs.chownSync(d, uid, gid);
  }
  const [initCmd, initArgs] = asServerUser(initdb, ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
  await run(initCmd, initArgs);
  if (allow) fs.appendFileSync(path.join(data, 'pg_hba.conf'), `host all all ${allow} trust\n`);
  const port = givenPort ?? (await freePort());
  const [serverCmd, serverArgs] = asServerUser(postgres, ['-D', data, '-p', String(port), '-h', host, '-k', socketDir, '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=200']);
  const [cmd, ...args] = [...on, serverCmd, ...serverArgs];
  const admin = `postgres://postgres@${host}:${port}/postgres`;
  let server = await runServer(cmd, args, admin).catch((err: unknown) => {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  });
  let n = 0;
  return {
    host,
    port,
    async createDatabase(name = `lr_test_${process.pid}_${++n}`) {
      const client = new pg.Client({ connectionString: admin });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return `postgres://postgres@${host}:${port}/${name}`;
    },
    async halt() {
      await server.stop();
    },
    async resume() {
      server = await runServer(cmd, args, admin);
    },
    async stop() {
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs the server until it answers on `admin` (or throws with its last log lines); `stop` ends it (fast shutdown). */
async function runServer(cmd: string, args: string[], admin: string): Promise<{ stop(): Promise<void> }> {
  const proc: ChildProcess = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr!.on('data', (d) => (log = (log + d).slice(-4000)));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGINT'); // fast shutdown: open connections are ended
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    const client = new pg.Client({ connectionString: admin });
    try {
      await client.connect();
      await client.end();
      return { stop };
    } catch (err) {
      await client.end().catch(() => {});
      if (proc.exitCode !== null || Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error(`the test PostgreSQL did not start: ${(err as Error).message}\n${log}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
