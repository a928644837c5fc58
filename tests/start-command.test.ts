/** The README's start command as a user runs it: `liveroom start` on embedded defaults (ports and data folder from the environment). */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './helpers/cli-harness';

jest.setTimeout(60_000);

const BIN = path.resolve(__dirname, '..', 'bin', 'liveroom.js');

function run(env: Record<string, string>) {
  const proc = spawn(process.execPath, [BIN, 'start'], { env: { ...process.env, LIVEROOM_LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return { proc, exited, output: () => out };
}

describe('liveroom start', () => {
  it('creates the default channel with a random key, prints what OBS and viewers need, and stops cleanly', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'liveroom-start-'));
    const [rtmp, http] = [await freePort(), await freePort()];
    const env = { LIVEROOM_DATA_DIR: dataDir, LIVEROOM_RTMP_PORT: String(rtmp), LIVEROOM_HTTP_PORT: String(http) };
    const first = run(env);
    const deadline = Date.now() + 30_000;
    while (!/Player:/.test(first.output()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const banner = first.output();
    expect(banner).toContain(`OBS server:  rtmp://localhost:${rtmp}/live`);
    expect(banner).toContain(`Player:      http://localhost:${http}/watch/live`);
    const key = /Stream key:\s+(\S+)/.exec(banner)![1];
    expect(key).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(fs.existsSync(path.join(dataDir, 'liveroom.sqlite'))).toBe(true);
    const page = await fetch(`http://127.0.0.1:${http}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('liveroom-default-channel');
    first.proc.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    expect(banner).toMatch(/shown only this once/);

    // The key survives a restart, and is never shown again: the banner says where to get a new one.
    const second = run(env);
    while (!/Player:/.test(second.output()) && Date.now() < deadline + 30_000) await new Promise((r) => setTimeout(r, 100));
    expect(second.output()).not.toContain(key);
    expect(second.output()).toContain('Stream key:  set on first run; create a new one with `liveroom keys create live`');
    second.proc.kill('SIGINT');
    expect(await second.exited).toBe(0);
  });

  it('refuses an invalid setting or a busy port with one line that names it', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'liveroom-start-'));
    const bad = run({ LIVEROOM_DATA_DIR: dataDir, LIVEROOM_HTTP_PORT: 'eighty' });
    expect(await bad.exited).toBe(1);
    expect(bad.output().trim().split('\n')).toEqual([expect.stringMatching(/^liveroom: .*LIVEROOM_HTTP_PORT.*'http\.port'/)]);

    const blocker = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const busy = (blocker.address() as net.AddressInfo).port;
    const clash = run({ LIVEROOM_DATA_DIR: dataDir, LIVEROOM_RTMP_PORT: String(busy), LIVEROOM_RTMP_HOST: '127.0.0.1', LIVEROOM_HTTP_PORT: String(await freePort()) });
    expect(await clash.exited).toBe(1);
    expect(clash.output().trim().split('\n')).toEqual([`liveroom: RTMP port ${busy} is already in use: stop the other process or set LIVEROOM_RTMP_PORT (rtmp.port)`]);
    blocker.close();
  });
});
