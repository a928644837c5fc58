/**
 * The two-node setup as deploy/systemd/ ships it (issue 11, item 5): liveroom@.service, the
 * example env files a.env and b.env, and nginx-liveroom.conf in front of both nodes.
 *
 * 1. systemd-analyze (systemd's own parser, offline: systemd is not PID 1 here) verifies the
 *    unit as shipped and rendered onto this checkout (ExecStart's node and script must exist),
 *    and rates its sandbox.
 * 2. The setup runs as the files describe it, on test hosts of its own (a network namespace
 *    each, tests/helpers/netns.ts) at the example addresses: nginx 10.0.0.4, node a 10.0.0.5,
 *    node b 10.0.0.6, Redis and PostgreSQL 10.0.0.10, this process (viewers, encoder) 10.0.0.1.
 *    So a.env and b.env are used as shipped, and nginx-liveroom.conf with only its cache
 *    folder moved. Both nodes are spawned with the unit's ExecStart, WorkingDirectory and
 *    environment (Environment= lines, then the env file; nothing of the test's own
 *    environment), as a user of their own without capabilities or new privileges (setpriv:
 *    DynamicUser=, CapabilityBoundingSet=, NoNewPrivileges=), on a real redis-server (requirepass, as the env files expect) and a Debian
 *    PostgreSQL set up as the README says, with Debian's nginx. The CLI on A's host (the env
 *    file read by sh, as the README shows) creates a channel and a key that B has; ffmpeg
 *    publishes into A; nginx serves the multivariant playlist, a media playlist and a part,
 *    answered by both nodes; the chat through nginx (long-polling, and polling upgraded to a
 *    WebSocket) stays on one node and reaches viewers on both; each node stops on the unit's
 *    KillSignal within its TimeoutStopSec with exit status 0, leaving no ffmpeg behind, and
 *    nginx goes on serving from the node that is left.
 *
 * Not tested (no systemd as PID 1 here): the rest of the sandbox at run time (ProtectSystem=,
 * PrivateTmp=, SystemCallFilter=, ...), systemctl itself and Restart=. The hosts share one kernel, file
 * system and user (root).
 *
 * Build first (`npm run build`): the nodes and the CLI run from dist/.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { io as ioClient } from 'socket.io-client';
import { childPids } from '../scripts/bench/proc-cpu';
import { newIdentity, nextEvent, request, welcomed, type TestClient } from '../chat/chat-test-kit';
import { ensureBuilt, spawnServer, type ServerProcess } from './helpers/cli-harness';
import { getText, publish, until, type Publisher } from './helpers/liveroom-harness';
import { parseMedia } from './helpers/m3u8';
import { createHosts, type TestHosts } from './helpers/netns';
import { startNginx, type Nginx } from './helpers/nginx';
import { startPostgres, type TestPostgres } from './helpers/postgres';
import { startRedisServer, stopRedisServer } from './helpers/redis';

jest.setTimeout(120_000);

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..');
const DEPLOY = path.join(ROOT, 'deploy', 'systemd');
const UNIT_FILE = 'liveroom@.service';
const SYSTEMD_ANALYZE = '/usr/bin/systemd-analyze';
/** Where the unit and the README put the checkout and node. */
const INSTALL_DIR = '/opt/liveroom';
const NODE_BIN = '/usr/bin/node';
const ENV_DIR = '/etc/liveroom';
/** The PATH systemd gives a service. */
const SERVICE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin';
/** The example addresses of a.env, b.env and nginx-liveroom.conf. */
const HOST = { nginx: '10.0.0.4', a: '10.0.0.5', b: '10.0.0.6', store: '10.0.0.10' };
/** This process's address on the test hosts' network: the viewers' and the encoder's machine. */
const CLIENT_ADDRESS = '10.0.0.1';
const NODES = ['a', 'b'] as const;
type NodeName = (typeof NODES)[number];

// ---- systemd's file formats, as far as these files use them -------------------------------

/** A unit file's entries by section, in order (comments and blank lines dropped; no line continuations used). */
function parseUnit(text: string): Map<string, [string, string][]> {
  const sections = new Map<string, [string, string][]>();
  let current: [string, string][] | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    if (line.endsWith('\\')) throw new Error(`line continuations are not parsed here: ${line}`);
    const section = /^\[(.+)\]$/.exec(line);
    if (section) {
      current = [];
      sections.set(section[1], current);
      continue;
    }
    const eq = line.indexOf('=');
    if (!current || eq < 0) throw new Error(`not a unit file line: ${line}`);
    current.push([line.slice(0, eq).trim(), line.slice(eq + 1).trim()]);
  }
  return sections;
}

function unitValues(unit: Map<string, [string, string][]>, section: string, key: string): string[] {
  return (unit.get(section) ?? []).filter(([k]) => k === key).map(([, v]) => v);
}

function oneValue(unit: Map<string, [string, string][]>, section: string, key: string): string {
  const v = unitValues(unit, section, key);
  if (v.length !== 1) throw new Error(`[${section}] ${key}= is set ${v.length} times`);
  return v[0];
}

/** The specifiers the unit uses: %i (the instance), %S (the state root, /var/lib), %%. Any other one is an error here. */
function specifiers(value: string, instance: string, stateRoot: string): string {
  return value.replace(/%(.)/g, (_, c: string) => {
    if (c === 'i') return instance;
    if (c === 'S') return stateRoot;
    if (c === '%') return '%';
    throw new Error(`specifier %${c} is not handled by this test: ${value}`);
  });
}

/** Environment= values: KEY=VALUE assignments separated by spaces (no quotes used). */
function assignments(value: string): [string, string][] {
  if (/["'$\\]/.test(value)) throw new Error(`quoting or expansion is not handled by this test: ${value}`);
  return value.split(/\s+/).map((a) => [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]);
}

/** An env file as the files promise it is written: one KEY=value a line, no quotes, no spaces, so systemd and sh read it alike. */
function parseEnvFile(text: string): [string, string][] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((l) => {
      const m = /^([A-Z_][A-Z0-9_]*)=([^\s"'`$\\;&|<>()]*)$/.exec(l);
      if (!m) throw new Error(`env file line systemd and sh may read differently: ${l}`);
      return [m[1], m[2]];
    });
}

function replaceAll(text: string, from: string, to: string, what: string): string {
  if (!text.includes(from)) throw new Error(`${what}: '${from}' not found (the shipped file changed?)`);
  return text.replaceAll(from, to);
}

const UNIT_TEXT = fs.readFileSync(path.join(DEPLOY, UNIT_FILE), 'utf8');

/** The unit with the install paths pointed at this checkout, this node and the env files in `etcDir`. */
function renderUnit(etcDir: string): string {
  let text = replaceAll(UNIT_TEXT, INSTALL_DIR, ROOT, 'the install folder');
  text = replaceAll(text, `ExecStart=${NODE_BIN} `, `ExecStart=${process.execPath} `, 'the node binary');
  return replaceAll(text, `${ENV_DIR}/`, `${etcDir}/`, 'the env files folder');
}

// ---- 1. systemd's own check ---------------------------------------------------------------

const haveAnalyze = fs.existsSync(SYSTEMD_ANALYZE);
if (!haveAnalyze) process.stderr.write(`deploy-units: SKIPPING the systemd-analyze checks: ${SYSTEMD_ANALYZE} is not installed (apt-get install systemd)\n`);

describe('deploy/systemd/liveroom@.service, checked by systemd-analyze', () => {
  let dir = '';
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-units-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function analyze(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return run(SYSTEMD_ANALYZE, args, { cwd: dir }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
    );
  }

  (haveAnalyze ? it : it.skip)(
    haveAnalyze ? 'verifies without a warning, as shipped and rendered onto this checkout, for both instances' : `verify (SKIPPED: ${SYSTEMD_ANALYZE} not installed)`,
    async () => {
      for (const [name, text] of [['shipped', UNIT_TEXT], ['rendered', renderUnit(path.join(dir, 'etc'))]] as const) {
        const unitDir = path.join(dir, name);
        fs.mkdirSync(unitDir);
        fs.writeFileSync(path.join(unitDir, UNIT_FILE), text);
        for (const node of NODES) {
          // systemd-analyze prints unknown keys, bad values and missing executables to stderr (unknown keys with status 0).
          const r = await analyze(['verify', '--man=no', path.join(unitDir, `liveroom@${node}.service`)]);
          expect({ name, node, code: r.code, stderr: r.stderr.trim() }).toEqual({ name, node, code: 0, stderr: '' });
        }
      }
      // An ExecStart binary that does not exist is caught: the check is real.
      const broken = path.join(dir, 'broken');
      fs.mkdirSync(broken);
      fs.writeFileSync(path.join(broken, UNIT_FILE), UNIT_TEXT.replace(`ExecStart=${NODE_BIN} `, 'ExecStart=/nonexistent/node '));
      const bad = await analyze(['verify', '--man=no', path.join(broken, 'liveroom@a.service')]);
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toMatch(/\/nonexistent\/node/);
    },
  );

  (haveAnalyze ? it : it.skip)(
    haveAnalyze ? "keeps its sandbox: systemd-analyze security rates the unit's exposure 2.0 or lower" : `security (SKIPPED: ${SYSTEMD_ANALYZE} not installed)`,
    async () => {
      const unitDir = path.join(dir, 'security');
      fs.mkdirSync(unitDir);
      fs.writeFileSync(path.join(unitDir, UNIT_FILE), renderUnit(path.join(dir, 'etc')));
      const r = await analyze(['security', '--offline=yes', '--threshold=20', path.join(unitDir, 'liveroom@a.service')]);
      const level = Number(/Overall exposure level for liveroom@a\.service: ([\d.]+)/.exec(r.stdout + r.stderr)?.[1]);
      expect(level).toBeLessThanOrEqual(2);
      expect(r.code).toBe(0);
    },
  );
});

// ---- 2. the setup, running as the files describe it -----------------------------------------

interface RunningNode {
  name: NodeName;
  envFile: string;
  dataDir: string;
  server: ServerProcess;
}

/** A uid from systemd's DynamicUser= range (61184–65519) that no account on this machine has. */
const SERVICE_UID = 61184;
/** The ports the shipped files use (each host has its own, so they are used as they are). */
const HTTP_PORT = 8000;
const RTMP_PORT = 1935;
const REDIS_PORT = 6379;
const POSTGRES_PORT = 5432;

describe('two nodes started as liveroom@a and liveroom@b say, on hosts of their own, behind nginx-liveroom.conf', () => {
  const unit = parseUnit(UNIT_TEXT);
  let dir = '';
  let hosts: TestHosts | undefined;
  let redis: Awaited<ReturnType<typeof startRedisServer>> | undefined;
  let store: TestPostgres | undefined;
  let nginx: Nginx | undefined;
  let accessLog = '';
  const nodes: Partial<Record<NodeName, RunningNode>> = {};
  const publishers: Publisher[] = [];
  const sockets: TestClient[] = [];
  let streamKey = '';

  /** The unit's environment for `name`: Environment= lines, then its EnvironmentFile, as systemd builds it. */
  function serviceEnv(name: NodeName, stateRoot: string, envFile: string): NodeJS.ProcessEnv {
    const dataDir = path.join(stateRoot, specifiers(oneValue(unit, 'Service', 'StateDirectory'), name, stateRoot));
    // What systemd sets for a service with DynamicUser= and StateDirectory=.
    const env: NodeJS.ProcessEnv = { PATH: SERVICE_PATH, HOME: '/', STATE_DIRECTORY: dataDir };
    for (const v of unitValues(unit, 'Service', 'Environment')) {
      for (const [k, val] of assignments(specifiers(v, name, stateRoot))) env[k] = val;
    }
    expect(unitValues(unit, 'Service', 'EnvironmentFile')).toEqual([`${ENV_DIR}/%i.env`]);
    for (const [k, v] of parseEnvFile(fs.readFileSync(envFile, 'utf8'))) env[k] = v;
    return env;
  }

  /** a.env / b.env as shipped (its addresses are the test hosts'), plus one test-only line. */
  function renderEnvFile(name: NodeName): string {
    const text = fs.readFileSync(path.join(DEPLOY, `${name}.env`), 'utf8');
    const entries = new Map(parseEnvFile(text));
    expect([entries.get('LIVEROOM_NODE_ID'), entries.get('LIVEROOM_NODE_URL'), entries.get('LIVEROOM_HTTP_PORT'), entries.get('LIVEROOM_RTMP_PORT')]).toEqual([name, `http://${HOST[name]}:${HTTP_PORT}`, String(HTTP_PORT), String(RTMP_PORT)]);
    // Passthrough keeps two nodes' ffmpeg light on this small shared machine.
    return `${text}\n# test-only\nLIVEROOM_PROFILE=passthrough\n`;
  }

  /** nginx-liveroom.conf with its cache folder in the test's; logs which node answered each request. */
  function renderNginx(): string {
    let conf = fs.readFileSync(path.join(DEPLOY, 'nginx-liveroom.conf'), 'utf8');
    for (const name of NODES) {
      if (conf.split(`server ${HOST[name]}:${HTTP_PORT} `).length !== 3) throw new Error(`nginx-liveroom.conf: node ${name} is not in both upstreams`);
    }
    conf = replaceAll(conf, '/var/cache/nginx/liveroom', path.join(dir, 'nginx-cache'), 'nginx-liveroom.conf');
    if (!conf.includes('listen 80;')) throw new Error('nginx-liveroom.conf no longer listens on port 80');
    conf = replaceAll(conf, 'server_name _;', `server_name _;\n    access_log ${accessLog} nodes;`, 'nginx-liveroom.conf');
    return `log_format nodes '$upstream_addr $status $request_uri';\n${conf}`;
  }

  function accessLines(): { upstream: string; status: number; uri: string }[] {
    const text = fs.existsSync(accessLog) ? fs.readFileSync(accessLog, 'utf8') : '';
    return text
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [upstream, status, uri] = l.split(' ');
        return { upstream, status: Number(status), uri };
      });
  }

  /** The CLI on a node's host, as the README shows it: sh reads the node's env file, then the command runs with it. */
  async function cliOn(node: RunningNode, ...args: string[]): Promise<string> {
    const script = `set -a; . "$1"; LIVEROOM_DATA_DIR="$2"; shift 2; exec "${ROOT}/bin/liveroom.js" "$@"`;
    const [cmd, ...prefix] = hosts!.on(node.name);
    const { stdout } = await run(cmd, [...prefix, '/bin/sh', '-c', script, 'sh', node.envFile, node.dataDir, ...args], { env: { PATH: SERVICE_PATH } });
    return stdout;
  }

  function chat(base: string, name: string, transports: ('polling' | 'websocket')[]): Promise<{ socket: TestClient }> {
    const socket: TestClient = ioClient(base, { path: '/socket.io', transports, reconnection: false, forceNew: true, autoConnect: false, auth: { channel: 'live', identity: newIdentity(), name } });
    sockets.push(socket);
    return welcomed(socket);
  }

  /**
   * The unit's user and privileges, as far as they can be had without systemd: DynamicUser= (a uid of systemd's
   * dynamic range, no groups), CapabilityBoundingSet= (empty) and NoNewPrivileges=, through setpriv, which execs
   * the command (the pid stays the server's). Not had: the mount namespace (ProtectSystem=, PrivateTmp=, ...)
   * and the system call filter.
   */
  function asServiceUser(): string[] {
    expect([oneValue(unit, 'Service', 'DynamicUser'), oneValue(unit, 'Service', 'CapabilityBoundingSet'), oneValue(unit, 'Service', 'NoNewPrivileges')]).toEqual(['yes', '', 'yes']);
    return ['setpriv', `--reuid=${SERVICE_UID}`, `--regid=${SERVICE_UID}`, '--clear-groups', '--bounding-set=-all', '--no-new-privs', '--'];
  }

  /** The Redis password both env files carry in LIVEROOM_REDIS_URL (redis://:<password>@host:port). */
  function redisPassword(): string {
    const urls = NODES.map((n) => new Map(parseEnvFile(fs.readFileSync(path.join(DEPLOY, `${n}.env`), 'utf8'))).get('LIVEROOM_REDIS_URL')!);
    expect(new Set(urls).size).toBe(1);
    const url = new URL(urls[0]);
    expect(`${url.hostname}:${url.port}`).toBe(`${HOST.store}:${REDIS_PORT}`);
    expect(url.password).not.toBe('');
    return decodeURIComponent(url.password);
  }

  const hlsThroughNginx = (p: string) => `${nginx!.url}${p}`;
  const nodeAddress = (name: NodeName) => `${HOST[name]}:${HTTP_PORT}`;

  beforeAll(async () => {
    ensureBuilt();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-deploy-'));
    accessLog = path.join(dir, 'nginx-access.log');
    // The example addresses are the hosts': this process is the viewers' and encoders' machine, on 10.0.0.1.
    hosts = createHosts(CLIENT_ADDRESS, { nginx: HOST.nginx, a: HOST.a, b: HOST.b, store: HOST.store });
    [redis, store] = await Promise.all([
      // With the password the env files give (Redis refuses other hosts without one), set as the README says (requirepass).
      startRedisServer(REDIS_PORT, { host: HOST.store, on: hosts.on('store'), password: redisPassword() }),
      startPostgres({ host: HOST.store, port: POSTGRES_PORT, on: hosts.on('store'), allow: `${CLIENT_ADDRESS}/24` }),
    ]);
    // PostgreSQL as the README sets it up: a role and a database it owns (the test server trusts the subnet: no password).
    const admin = new pg.Client({ connectionString: `postgres://postgres@${HOST.store}:${POSTGRES_PORT}/postgres` });
    await admin.connect();
    await admin.query("CREATE ROLE liveroom LOGIN PASSWORD 'CHANGE_ME'");
    await admin.query('CREATE DATABASE liveroom OWNER liveroom');
    await admin.end();

    const etcDir = path.join(dir, 'etc', 'liveroom');
    const stateRoot = path.join(dir, 'var', 'lib');
    fs.mkdirSync(stateRoot, { recursive: true });
    for (const d of [dir, path.join(dir, 'var'), stateRoot]) fs.chmodSync(d, 0o755); // as /var/lib: the service's user passes through
    fs.mkdirSync(etcDir, { recursive: true });
    const command = oneValue(unit, 'Service', 'ExecStart').split(/\s+/);
    expect(command.slice(0, 2)).toEqual([NODE_BIN, `${INSTALL_DIR}/bin/liveroom.js`]);
    const argv = [process.execPath, path.join(ROOT, 'bin', 'liveroom.js'), ...command.slice(2)];
    const cwd = replaceAll(oneValue(unit, 'Service', 'WorkingDirectory'), INSTALL_DIR, ROOT, 'WorkingDirectory');

    await Promise.all(
      NODES.map(async (name) => {
        const envFile = path.join(etcDir, `${name}.env`);
        fs.writeFileSync(envFile, renderEnvFile(name), { mode: 0o600 });
        const env = serviceEnv(name, stateRoot, envFile);
        const dataDir = env.LIVEROOM_DATA_DIR!;
        expect(dataDir).toBe(env.STATE_DIRECTORY); // the data folder is the unit's StateDirectory
        // StateDirectory=: made by systemd, owned by the service's user, StateDirectoryMode.
        fs.mkdirSync(dataDir, { recursive: true });
        fs.chownSync(dataDir, SERVICE_UID, SERVICE_UID);
        fs.chmodSync(dataDir, Number.parseInt(oneValue(unit, 'Service', 'StateDirectoryMode'), 8));
        const server = await spawnServer({ command: [...hosts!.on(name), ...asServiceUser(), ...argv], env, cwd, host: HOST[name], httpPort: HTTP_PORT, rtmpPort: RTMP_PORT, dataDir });
        nodes[name] = { name, envFile, dataDir, server };
      }),
    );
    nginx = await startNginx(renderNginx(), { host: HOST.nginx, port: 80, on: hosts.on('nginx') });
  });

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    for (const p of publishers) await p.stop();
    await Promise.all(NODES.map((n) => nodes[n]?.server.stop()));
    await nginx?.stop();
    await store?.stop();
    await stopRedisServer(redis);
    hosts?.remove();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("runs both nodes; a channel and a key created with the CLI on A's host are B's too", async () => {
    const a = nodes.a!;
    const b = nodes.b!;
    for (const node of [a, b]) {
      // The server itself (setpriv and ip exec'd it) runs as the service's user, with no capabilities.
      const status = fs.readFileSync(`/proc/${node.server.proc.pid}/status`, 'utf8');
      const field = (name: string) => new RegExp(`^${name}:\\s+(.*)$`, 'm').exec(status)![1].split(/\s+/);
      expect({ node: node.name, name: field('Name')[0], uid: field('Uid')[0], capEff: field('CapEff')[0], capBnd: field('CapBnd')[0], noNewPrivs: field('NoNewPrivs')[0] }).toEqual({
        node: node.name,
        name: 'node',
        uid: String(SERVICE_UID),
        capEff: '0000000000000000',
        capBnd: '0000000000000000',
        noNewPrivs: '1',
      });
    }
    await cliOn(a, 'channels', 'create', 'studio', '--title', 'Studio');
    const listed = JSON.parse(await cliOn(b, 'channels', 'list', '--json')) as { channels: { name: string; title: string }[] };
    expect(listed.channels.find((c) => c.name === 'studio')).toMatchObject({ title: 'Studio' });
    expect((await fetch(`${b.server.base}/api/channels/studio`)).status).toBe(200);
    expect((await fetch(hlsThroughNginx('/api/channels/studio'))).status).toBe(200);
    streamKey = (await cliOn(a, 'keys', 'create', 'live', '--label', 'obs', '-q')).trim();
    expect(streamKey.length).toBeGreaterThanOrEqual(16);
    // Each node knows the other through Redis: B's status lists both.
    await until(async () => {
      const s = JSON.parse(await cliOn(b, 'status', '--json')) as { node: string; nodes: { id: string }[] };
      return s.node === 'b' && s.nodes.map((n) => n.id).join() === 'a,b';
    }, 10_000, "B's status to list both nodes");
  });

  it('publishes into A; nginx serves the multivariant playlist, a media playlist and a part, from both nodes', async () => {
    const a = nodes.a!;
    publishers.push(publish(`${a.server.rtmp}/${streamKey}`));
    const master = hlsThroughNginx('/hls/live/master.m3u8');
    const mediaUri = await until(async () => {
      const r = await getText(master);
      const lines = r.text.trim().split('\n');
      const i = lines.findIndex((l) => l.startsWith('#EXT-X-STREAM-INF:'));
      return r.status === 200 && i >= 0 && new URL(lines[i + 1], master).href;
    }, 60_000, 'the channel to go live through nginx');
    // The media playlist answers once its rendition has an init segment, a moment after the multivariant playlist.
    await until(async () => {
      const r = await getText(mediaUri);
      return r.status === 200 && parseMedia(r.text).segments.length >= 2;
    }, 30_000, 'two segments through nginx');
    fs.writeFileSync(accessLog, ''); // from here on, every request must be answered, by either node
    const media = parseMedia((await getText(mediaUri)).text);
    const partUri = (media.trailingParts.at(-1) ?? media.segments.at(-1)!.parts.at(-1)!).uri;
    const part = await fetch(new URL(partUri, mediaUri));
    const body = Buffer.from(await part.arrayBuffer());
    expect(part.status).toBe(200);
    expect(part.headers.get('content-type')).toBe('video/mp4');
    expect(body.toString('latin1', 4, 8)).toBe('moof');

    // The multivariant playlist is not cached (no-cache): each request goes to a node, in turn.
    for (let i = 0; i < 4; i++) expect((await getText(master)).status).toBe(200);
    const hls = accessLines().filter((l) => l.uri.startsWith('/hls/') && l.upstream !== '-');
    const answeredBy = new Set(hls.filter((l) => l.status === 200).map((l) => l.upstream));
    expect([...answeredBy].sort()).toEqual(NODES.map(nodeAddress));
    expect(hls.filter((l) => l.status !== 200)).toEqual([]);
  });

  it('keeps each chat session on one node through nginx (long-polling, and polling upgraded to a WebSocket); messages reach viewers on both nodes', async () => {
    const onA = (await chat(nodes.a!.server.base, 'on-a', ['websocket'])).socket;
    const onB = (await chat(nodes.b!.server.base, 'on-b', ['websocket'])).socket;
    const polling = (await chat(nginx!.url, 'poller', ['polling'])).socket;
    const upgraded = (await chat(nginx!.url, 'upgrader', ['polling', 'websocket'])).socket;
    await until(() => upgraded.io.engine.transport.name === 'websocket', 10_000, 'the chat to upgrade to a WebSocket through nginx');
    for (const [from, text] of [[polling, 'over long-polling'], [upgraded, 'over the upgraded socket']] as const) {
      const got = [nextEvent(onA, 'message', (m) => m.text === text, 15_000), nextEvent(onB, 'message', (m) => m.text === text, 15_000)];
      expect((await request(from, 'send', { text })).ok).toBe(true);
      await Promise.all(got);
    }
    // Every chat request nginx has finished went to one node (the hash on the viewer's address).
    const chatLines = accessLines().filter((l) => l.uri.startsWith('/socket.io/'));
    expect(chatLines.length).toBeGreaterThanOrEqual(4);
    expect(new Set(chatLines.map((l) => l.upstream)).size).toBe(1);
    expect(chatLines.every((l) => l.status === 200 || l.status === 101)).toBe(true);
  });

  it("stops on the unit's KillSignal within TimeoutStopSec with status 0 and no ffmpeg left; nginx goes on from the other node", async () => {
    const signal = oneValue(unit, 'Service', 'KillSignal') as NodeJS.Signals;
    const timeoutMs = Number(/^(\d+)s$/.exec(oneValue(unit, 'Service', 'TimeoutStopSec'))![1]) * 1000;
    expect(oneValue(unit, 'Service', 'KillMode')).toBe('mixed'); // the signal goes to the server alone: it stops its ffmpegs itself
    const stop = async (node: RunningNode) => {
      const { proc } = node.server;
      const children = childPids(proc.pid!, /./);
      const t0 = Date.now();
      const exit = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
      proc.kill(signal);
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([exit, new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)))]);
      clearTimeout(timer);
      expect({ node: node.name, code }).toEqual({ node: node.name, code: 0 });
      expect(Date.now() - t0).toBeLessThan(timeoutMs);
      expect(node.server.log()).toMatch(/liveroom: stopped/);
      return children;
    };

    // B (serving A's channel by proxy) first: nginx then sends everything to A.
    await stop(nodes.b!);
    for (let i = 0; i < 4; i++) expect((await getText(hlsThroughNginx('/hls/live/master.m3u8'))).status).toBe(200);

    // A, with its publisher connected and an ffmpeg running: the ffmpeg is gone when A has exited.
    const ffmpegs = await stop(nodes.a!);
    expect(ffmpegs.length).toBeGreaterThanOrEqual(1);
    for (const pid of ffmpegs) expect(alive(pid)).toBe(false);
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
