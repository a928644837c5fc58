/**
 * SIGTERM of `liveroom start` (a real process) with a live stream (a real ffmpeg
 * publisher, the real transcoder ffmpeg) and an open player (an HTTP client
 * blocked on a playlist request): the playlists end, the blocked request is
 * answered with ENDLIST, the process exits 0 and leaves no ffmpeg behind.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureBuilt, startServerProcess, type ServerProcess } from './helpers/cli-harness';
import { getText, publish, until, type Publisher, renditionUrl } from './helpers/liveroom-harness';
import { parseMedia } from './helpers/m3u8';

jest.setTimeout(180_000);

const KEY = 'shutdown-test-key-0001';

/** Child processes of `pid` (Linux /proc), with their command names. */
function children(pid: number): { pid: number; comm: string }[] {
  return fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).flatMap((d) => {
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      return ppid === pid ? [{ pid: Number(d), comm }] : [];
    } catch {
      return [];
    }
  });
}

function alive(pid: number): boolean {
  try {
    const state = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    return state !== 'Z';
  } catch {
    return false;
  }
}

const exitOf = (s: ServerProcess) =>
  new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    if (s.proc.exitCode !== null || s.proc.signalCode !== null) return resolve({ code: s.proc.exitCode, signal: s.proc.signalCode });
    s.proc.once('exit', (code, signal) => resolve({ code, signal }));
  });

/** Resolves with the exit, or 'hung' if the process is still there after `ms` (a guard, not a measurement). */
const exitWithin = (s: ServerProcess, ms: number) => Promise.race([exitOf(s), new Promise<'hung'>((r) => setTimeout(() => r('hung'), ms).unref())]);

describe('shutdown', () => {
  let s: ServerProcess | undefined;
  let pub: Publisher | undefined;
  const leftovers: number[] = [];
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-shutdown-'));
  afterAll(() => fs.rmSync(configDir, { recursive: true, force: true }));

  beforeAll(() => {
    ensureBuilt();
  });
  afterEach(async () => {
    await pub?.stop();
    pub = undefined;
    for (const pid of leftovers.splice(0)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    await s?.stop();
    s = undefined;
  });

  const startLive = async (config: object) => {
    const configFile = path.join(configDir, 'config.json');
    fs.writeFileSync(configFile, JSON.stringify(config));
    s = await startServerProcess({ LIVEROOM_STREAM_KEY: KEY, LIVEROOM_PROFILE: 'passthrough', LIVEROOM_CONFIG: configFile });
    pub = publish(`${s.rtmp}/${KEY}`);
    const pl = await until(async () => {
      const r = await getText(await renditionUrl(s!.base, 'source'));
      return r.status === 200 && parseMedia(r.text).segments.length >= 2 && parseMedia(r.text);
    }, 60_000, 'two segments');
    const ffmpeg = await until(() => children(s!.proc.pid!).filter((c) => c.comm === 'ffmpeg').map((c) => c.pid).find(Boolean), 10_000, 'the transcoder ffmpeg');
    return { pl, ffmpeg };
  };

  it('on SIGTERM ends the live stream for an open player, exits 0, and leaves no ffmpeg', async () => {
    // A long blocking wait, so only the shutdown can answer the player's request early.
    const { ffmpeg } = await startLive({ hls: { blockingTimeoutTargets: 10 } });
    pub!.proc.kill('SIGSTOP'); // the publisher goes quiet: no new part will answer the blocked request
    const frozen = parseMedia((await getText(await renditionUrl(s!.base, 'source'))).text);
    const next = frozen.segments[frozen.segments.length - 1].msn + 2;
    const blocked = getText(`${await renditionUrl(s!.base, 'source')}?_HLS_msn=${next}`);
    const events = fetch(`${s!.base}/api/channels/live/events`);
    const stream = (await events).body!.getReader();
    await new Promise((r) => setTimeout(r, 300)); // the request is held by the server

    s!.proc.kill('SIGTERM');
    const answer = await blocked;
    expect(answer.status).toBe(200);
    const ended = parseMedia(answer.text);
    expect(ended.endlist).toBe(true);
    expect(ended.preloadHint).toBeUndefined();
    // The watch page's status stream says the channel went offline before the server went away.
    let sse = '';
    for (;;) {
      const { value, done } = await stream.read().catch(() => ({ value: undefined, done: true }));
      if (done) break;
      sse += Buffer.from(value!).toString();
    }
    expect(sse).toMatch(/"live":false/);

    const exit = await exitWithin(s!, 30_000);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(s!.log()).toMatch(/liveroom: SIGTERM, stopping/);
    expect(s!.log()).toMatch(/liveroom: stopped/);
    expect(alive(ffmpeg)).toBe(false);
    // The database was closed, not abandoned: SQLite folded its write-ahead log back in and removed it.
    expect(fs.existsSync(path.join(s!.dataDir, 'liveroom.sqlite'))).toBe(true);
    expect(fs.existsSync(path.join(s!.dataDir, 'liveroom.sqlite-wal'))).toBe(false);
    pub!.proc.kill('SIGCONT');
  });

  it('exits by the watchdog when the orderly stop takes too long, killing ffmpeg on the way out', async () => {
    const { ffmpeg } = await startLive({ shutdownTimeoutMs: 1000, transcoder: { killTimeoutMs: 5000 } });
    leftovers.push(ffmpeg);
    process.kill(ffmpeg, 'SIGSTOP'); // a wedged ffmpeg: the graceful stop would wait 2 × killTimeoutMs
    s!.proc.kill('SIGTERM');
    const exit = await exitWithin(s!, 30_000);
    expect(exit).toEqual({ code: 1, signal: null });
    expect(s!.log()).toMatch(/did not stop within 1000 ms \(shutdownTimeoutMs\), exiting/);
    await until(() => !alive(ffmpeg), 5000, 'ffmpeg to be gone');
  });

  it('exits at once on a second signal', async () => {
    const { ffmpeg } = await startLive({ transcoder: { killTimeoutMs: 5000 } });
    leftovers.push(ffmpeg);
    process.kill(ffmpeg, 'SIGSTOP');
    s!.proc.kill('SIGTERM');
    await until(() => /SIGTERM, stopping/.test(s!.log()), 10_000, 'the first signal to be seen');
    s!.proc.kill('SIGINT');
    const exit = await exitWithin(s!, 30_000);
    expect(exit).toEqual({ code: 1, signal: null });
    expect(s!.log()).toMatch(/SIGINT again, exiting now/);
    await until(() => !alive(ffmpeg), 5000, 'ffmpeg to be gone');
  });
});
