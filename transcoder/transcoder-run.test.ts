/**
 * A run that fails before ffmpeg gets going still finishes: feed closed, `exited`
 * settled with the reason, start() rejecting, and stop() never waiting on it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import pino from 'pino';
import { resolveFfmpegPath } from './ffmpeg-path';
import { TranscoderRun, type RunOptions } from './transcoder-run';

const log = pino({ level: 'silent' });

function feed() {
  const stream = new PassThrough();
  const f = { stream, closed: 0, close: () => (f.closed++, stream.end()) };
  return f;
}

function run(makeDir: () => string, f = feed()) {
  const opts: RunOptions = {
    ffmpegPath: resolveFfmpegPath(),
    command: { inputOptions: ['-f', 'flv'], outputs: [{ url: 'out0', options: ['-c', 'copy', '-f', 'mp4'] }] },
    feed: f,
    log,
    killTimeoutMs: 200,
    makeDir,
    onOutput: () => {},
  };
  return { run: new TranscoderRun(opts), feed: f };
}

describe('TranscoderRun start failures', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  it('a temp folder that cannot be made (full disk, a file in the way) finishes the run', async () => {
    const r = run(() => {
      throw Object.assign(new Error('ENOSPC: no space left on device, mkdtemp'), { code: 'ENOSPC' });
    });
    await expect(r.run.start()).rejects.toThrow(/ENOSPC/);
    expect(await r.run.exited).toEqual({ code: null, signal: null, error: expect.stringMatching(/ENOSPC/) });
    expect(r.feed.closed).toBeGreaterThan(0);
    expect(await r.run.stop()).toMatchObject({ error: expect.stringMatching(/ENOSPC/) });
  });

  it('a socket path over the unix limit is refused with the setting to change, and its folder removed', async () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-run-'));
    dirs.push(base);
    const deep = path.join(base, 'd'.repeat(100));
    const r = run(() => (fs.mkdirSync(deep, { recursive: true }), deep));
    await expect(r.run.start()).rejects.toThrow(/longer than 103 bytes: set 'transcoder\.tempDir' to a shorter folder/);
    expect((await r.run.exited).error).toMatch(/socket path/);
    expect(r.feed.closed).toBeGreaterThan(0);
    expect(fs.existsSync(deep)).toBe(false);
  });

  it('a binary that cannot be spawned finishes the run', async () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-run-'));
    dirs.push(base);
    const r = run(() => fs.mkdtempSync(path.join(base, 'run-')));
    (r.run as unknown as { opts: RunOptions }).opts.ffmpegPath = path.join(base, 'no-such-ffmpeg');
    await r.run.start().catch(() => {});
    const exit = await r.run.exited;
    expect(exit.code).toBeNull();
    expect(r.feed.closed).toBeGreaterThan(0);
    expect(fs.readdirSync(base)).toEqual([]);
  });

  it('stop() while starting finishes the run without spawning', async () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-run-'));
    dirs.push(base);
    const r = run(() => fs.mkdtempSync(path.join(base, 'run-')));
    const starting = r.run.start();
    const stopped = r.run.stop();
    await starting;
    expect(await stopped).toEqual({ code: null, signal: null });
    expect(r.run.pid).toBeUndefined();
    expect(fs.readdirSync(base)).toEqual([]);
  });
});
