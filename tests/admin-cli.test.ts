/**
 * The admin CLI through the real parts: the built `liveroom` CLI as a process,
 * against `liveroom start` as a process (settings from LIVEROOM_* variables, the
 * CLI finding server and token by itself), a real ffmpeg RTMP publisher, and
 * the LL-HLS playlists over HTTP.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ensureBuilt, freePort, runCli, startServerProcess, type ServerProcess } from './helpers/cli-harness';
import { getText, publish, renditionUrl, startLiveroom, until, type Publisher } from './helpers/liveroom-harness';
import { parseMedia, parseMultivariant, type ParsedVariant } from './helpers/m3u8';

jest.setTimeout(120_000);

const KEY = 'cli-test-stream-key-01';

describe('liveroom CLI against a running server', () => {
  let s: ServerProcess;
  let pub: Publisher | undefined;
  let env: NodeJS.ProcessEnv;
  const cli = (...args: string[]) => runCli(args, env);
  const json = async <T>(...args: string[]): Promise<T> => {
    const r = await cli(...args, '--json');
    if (r.code !== 0) throw new Error(`liveroom ${args.join(' ')} → ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  };
  const master = async (count: number) =>
    until(async () => {
      const r = await getText(`${s.base}/hls/live/master.m3u8`);
      const v = r.status === 200 ? parseMultivariant(r.text) : [];
      return v.length === count && v;
    }, 30_000, `a master playlist with ${count} renditions`);

  beforeAll(async () => {
    ensureBuilt();
    s = await startServerProcess({ LIVEROOM_STREAM_KEY: KEY });
    // The CLI gets the same settings as the server, nothing else: it must find both by itself.
    env = { ...process.env, LIVEROOM_DATA_DIR: s.env.LIVEROOM_DATA_DIR, LIVEROOM_HTTP_PORT: s.env.LIVEROOM_HTTP_PORT, LIVEROOM_CONFIG: '', LIVEROOM_SERVER: '', LIVEROOM_ADMIN_TOKEN: '' };
  });
  afterAll(async () => {
    await pub?.stop();
    await s?.stop();
  });

  it('keeps the admin token private and answers 401 JSON without it', async () => {
    const file = path.join(s.dataDir, 'admin-token');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const token = fs.readFileSync(file, 'utf8').trim();
    for (const headers of [{}, { authorization: 'Bearer wrong-token' }, { authorization: `Basic ${token}` }] as Record<string, string>[]) {
      const res = await fetch(`${s.base}/api/admin/channels`, { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('LR_ADMIN_UNAUTHORIZED');
    }
    expect((await fetch(`${s.base}/api/admin/nothing-here`)).status).toBe(401);
    const ok = await fetch(`${s.base}/api/admin/channels`, { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);

    const bad = await cli('--token', 'wrong-token', 'channels', 'list');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/refused the admin token from --token \(401\)/);
    const down = await runCli(['status'], { ...env, LIVEROOM_HTTP_PORT: String(await freePort()) });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/cannot reach the liveroom server at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\): is it running\?/);
    const remote = await runCli(['--server', s.base, '--token', token, 'channels', 'list'], { ...process.env, LIVEROOM_DATA_DIR: '/nonexistent' });
    expect(remote.code).toBe(0);
    expect(remote.stdout).toMatch(/^NAME\s+TITLE\s+PROFILE\s+LIVE\s+KEYS\nlive\s+live\s+default \(server default\)\s+no\s+1$/m);
  });

  it('reports encoders: libx264 proven by a test encode, hardware not working here, with the reason', async () => {
    const report = await json<{ auto: string; autoReason: string; encoders: { encoder: string; works: boolean; reason: string }[] }>('encoders');
    expect(report.auto).toBe('libx264');
    expect(report.encoders.find((e) => e.encoder === 'libx264')).toMatchObject({ works: true });
    for (const e of report.encoders.filter((x) => x.encoder !== 'libx264')) {
      expect(e.works).toBe(false);
      expect(e.reason).toMatch(/^(not in this ffmpeg build|test encode failed: .+|this ffmpeg build lacks)/);
    }
    const table = await cli('encoders');
    expect(table.stdout).toMatch(/^libx264\s+no\s+yes\s+yes\s+test encode passed/m);
    expect(table.stdout).toMatch(/^auto → libx264: no hardware encoder works here/m);
  });

  it('refuses invalid profiles naming the field (exit 1), and a wrong command line with exit 2', async () => {
    const odd = await cli('profiles', 'create', 'bad', '-r', 'name=source,copy', '-r', 'name=x,height=361,kbps=20');
    expect(odd.code).toBe(1);
    expect(odd.stderr).toMatch(/invalid profile: 'renditions\[1\] \(x\)\.height' \(361\) must be even.*; 'renditions\[1\] \(x\)\.videoKbps' must be at least 100 kbit\/s/);
    const file = path.join(s.dataDir, 'two-copies.json');
    fs.writeFileSync(file, JSON.stringify({ name: 'twocopies', encoder: 'h265_magic', renditions: [{ name: 'a', copy: true }, { name: 'b', copy: true }] }));
    const twoCopies = await cli('profiles', 'create', '--file', file);
    expect(twoCopies.code).toBe(1);
    expect(twoCopies.stderr).toMatch(/'encoder' unknown encoder "h265_magic".*'renditions\[1\] \(b\)\.copy' only one rendition can be 'copy'/);

    for (const args of [['profiles', 'create'], ['profiles', 'create', 'x', '-r', 'height=360'], ['keys', 'create'], ['bogus'], ['profiles', 'edit', 'default'], ['--server', 'ftp://x', 'status']]) {
      const r = await cli(...args);
      expect([args.join(' '), r.code]).toEqual([args.join(' '), 2]);
      expect(r.stderr).toMatch(/^liveroom: /);
    }
    expect((await cli('profiles', 'edit', 'default', '--encoder', 'libx264')).stderr).toMatch(/built-in profile and cannot be changed/);
    expect((await cli('--help')).stdout).toMatch(/Examples:/);
  });

  it('a profile created and assigned with the CLI shapes a real publish: every rendition in the playlists, aligned', async () => {
    const created = await cli('profiles', 'create', 'ladder3', '-d', 'three rungs', '-r', 'name=source,copy', '-r', 'name=360p,height=360,kbps=700,fps=30', '-r', 'name=240p,height=240,kbps=300,preset=superfast');
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^Profile 'ladder3' created: source \(copy\), 360p 700k, 240p 300k$/m);
    const assigned = await cli('channels', 'use-profile', 'live', 'ladder3');
    expect(assigned.stdout).toMatch(/now uses profile ladder3\. It applies when the channel next goes live/);
    expect((await cli('profiles', 'list')).stdout).toMatch(/^ladder3\s+custom\s+auto\s+source\s+live\s+source \(copy\), 360p 700k, 240p 300k$/m);

    pub = publish(`${s.rtmp}/${KEY}`, { size: '854x480' });
    const variants = await master(3);
    const byName = Object.fromEntries(variants.map((v) => [v.uri.split('/')[1], v])) as Record<string, ParsedVariant>;
    expect(Object.keys(byName)).toEqual(['source', '360p', '240p']);
    expect([byName.source, byName['360p'], byName['240p']].map((v) => v.attrs.RESOLUTION)).toEqual(['854x480', '640x360', '428x240']);
    for (const v of variants) {
      expect(v.attrs.CODECS).toMatch(/^avc1\.[0-9a-f]{6},mp4a\.40\.2$/);
      expect(Math.abs(Number(v.attrs['FRAME-RATE']) - 30)).toBeLessThan(0.1);
    }

    // Segment N covers the same instants in every rendition.
    const media = async (name: string) => parseMedia((await getText(await renditionUrl(s.base, name))).text);
    await until(async () => (await media('240p')).segments.length >= 3, 30_000, 'three segments');
    const [src, mid, low] = [await media('source'), await media('360p'), await media('240p')];
    const common = src.segments.filter((seg) => mid.segments.some((x) => x.msn === seg.msn) && low.segments.some((x) => x.msn === seg.msn));
    expect(common.length).toBeGreaterThanOrEqual(2);
    for (const seg of common) {
      for (const other of [mid, low]) {
        const o = other.segments.find((x) => x.msn === seg.msn)!;
        expect(Math.abs(Date.parse(seg.pdt!) - Date.parse(o.pdt!))).toBeLessThanOrEqual(70);
        expect(Math.abs(seg.duration - o.duration)).toBeLessThanOrEqual(0.07);
      }
    }

    // BANDWIDTH is the measured peak: at least what the listed 240p segments really carry.
    const [v240] = parseMultivariant((await getText(`${s.base}/hls/live/master.m3u8`)).text).filter((v) => v.uri.includes('/240p/'));
    let peak = 0;
    for (const seg of low.segments.slice(-3)) {
      const bytes = (await (await fetch(new URL(seg.uri, await renditionUrl(s.base, '240p')))).arrayBuffer()).byteLength;
      peak = Math.max(peak, (bytes * 8) / seg.duration);
    }
    expect(Number(v240.attrs.BANDWIDTH)).toBeGreaterThanOrEqual(Math.floor(peak * 0.99));
    expect(Number(v240.attrs.BANDWIDTH)).toBeLessThan(peak * 3);

    const status = await json<{ channels: any[] }>('status', 'live');
    const live = status.channels[0];
    expect(live).toMatchObject({ name: 'live', live: true, profile: 'ladder3', viewers: 0, encoder: { name: 'libx264' }, input: { width: 854, height: 480, frameRate: 30 } });
    expect(live.input.kbps).toBeGreaterThan(50);
    expect(live.encoder.speed).toBeGreaterThan(0.5);
    expect(live.renditions.map((r: any) => [r.name, r.copy])).toEqual([['source', true], ['360p', false], ['240p', false]]);
    const table = (await cli('status')).stdout;
    expect(table).toMatch(/^live\s+live \d+s\s+ladder3\s+libx264\s+854x480@30 [\d.]+ [kM]b\/s\s+[\d.]+x\s+0$/m);
    expect(table).toMatch(/^\s+240p\s+libx264\s+428x240\s+30\.\d{3}\s/m);
  });

  it('applies an edited profile now with `channels restart`: a short discontinuity, the dropped rendition ends', async () => {
    const sourceUrl = await renditionUrl(s.base, 'source');
    const url240 = await renditionUrl(s.base, '240p');
    const before = parseMedia((await getText(sourceUrl)).text);
    const lastMsn = before.segments[before.segments.length - 1].msn;
    const edited = await cli('profiles', 'edit', 'ladder3', '--remove-rendition', '240p', '-r', 'name=360p,height=360,kbps=900');
    expect(edited.code).toBe(0);
    expect(edited.stdout).toMatch(/Channels using it \(live\) get it on their next publish, or now with: liveroom channels restart/);
    const restarted = await cli('channels', 'restart', 'live');
    expect([restarted.code, restarted.stderr]).toEqual([0, '']);
    expect(restarted.stdout).toMatch(/^Channel 'live' restarted with profile 'ladder3'/);
    // The same broadcast goes on: the same media playlist URLs, one rendition fewer.
    expect((await master(2)).map((v) => new URL(v.uri, `${s.base}/hls/live/master.m3u8`).href)).toEqual([sourceUrl, url240.replace('/240p/', '/360p/')]);
    const after = await until(async () => {
      const pl = parseMedia((await getText(sourceUrl)).text);
      return pl.segments.some((x) => x.msn > lastMsn && x.discontinuity) && pl;
    }, 20_000, 'a discontinuity in the source playlist');
    expect(after.endlist).toBe(false);
    expect(parseMedia((await getText(url240)).text).endlist).toBe(true);
    expect(pub!.proc.exitCode).toBeNull(); // the publisher stayed connected
  });

  it('stream keys: shown once, listed without revealing, rotated, revoked', async () => {
    const created = await cli('channels', 'create', 'second', '--title', 'Second', '--profile', 'passthrough');
    expect(created.stdout).toMatch(/^Channel 'second' created \(profile passthrough\)/);
    const k1 = await json<{ id: string; key: string; label: string }>('keys', 'create', 'second', '--label', 'cam');
    expect(k1.key.length).toBeGreaterThanOrEqual(32);
    const listed = await cli('keys', 'list', 'second');
    expect(listed.stdout).toMatch(new RegExp(`^${k1.id}\\s+second\\s+cam\\s+\\d{4}-.*\\sactive$`, 'm'));
    expect(Object.keys((await json<{ keys: object[] }>('keys', 'list', 'second')).keys[0]).sort()).toEqual(['channel', 'createdAt', 'id', 'label', 'revokedAt']);
    expect(listed.stdout + JSON.stringify(await json('keys', 'list'))).not.toContain(k1.key);

    const rotated = await cli('keys', 'rotate', k1.id, '--quiet');
    const k2 = rotated.stdout.trim();
    expect(k2).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const oldKey = publish(`${s.rtmp}/${k1.key}`, { seconds: 20 });
    expect(await oldKey.exited).not.toBe(0);
    const second = publish(`${s.rtmp}/${k2}`, { size: '320x180' });
    try {
      await until(async () => JSON.parse((await getText(`${s.base}/api/channels/second`)).text).live, 30_000, "channel 'second' live with the rotated key");
      const all = await json<{ keys: { id: string; label: string; revokedAt: number | null }[] }>('keys', 'list', 'second', '--all');
      const active = all.keys.filter((k) => k.revokedAt === null);
      expect(active.map((k) => k.label)).toEqual(['cam']);
      expect(all.keys.find((k) => k.id === k1.id)?.revokedAt).not.toBeNull();
      // Revoking the key a publisher is live on disconnects it at once.
      expect((await cli('keys', 'revoke', active[0].id)).stdout).toMatch(/revoked/);
      await second.exited;
      await until(async () => !JSON.parse((await getText(`${s.base}/api/channels/second`)).text).live, 10_000, "channel 'second' offline after the revoke");
    } finally {
      await second.stop();
    }
    const active = (await json<{ keys: { id: string; revokedAt: number | null }[] }>('keys', 'list', 'second', '--all')).keys.filter((k) => k.revokedAt !== null);
    expect((await cli('keys', 'revoke', active[active.length - 1].id)).code).toBe(1);
    expect((await cli('keys', 'list', 'second')).stdout).toMatch(/^No active stream keys for 'second'/);
  });

  it('copies a built-in profile through `show --json` and `create --file`', async () => {
    const shown = await json<Record<string, unknown>>('profiles', 'show', 'abr-3');
    const file = path.join(s.dataDir, 'abr-3-copy.json');
    fs.writeFileSync(file, JSON.stringify({ ...shown, name: 'abr-3-copy', encoder: 'libx264' }));
    const r = await cli('profiles', 'create', '--file', file);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(await json('profiles', 'show', 'abr-3-copy')).toMatchObject({ builtin: false, encoder: 'libx264', renditions: shown.renditions });
  });

  it('will not delete a profile a channel uses', async () => {
    const refused = await cli('profiles', 'delete', 'ladder3');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/profile 'ladder3' is assigned to 'live'/);
    expect((await cli('channels', 'use-profile', 'live', '--reset')).code).toBe(0);
    expect((await cli('profiles', 'delete', 'ladder3')).stdout).toBe("Profile 'ladder3' deleted.\n");
    expect((await cli('profiles', 'show', 'ladder3')).stderr).toMatch(/no profile named 'ladder3'/);
  });
});

describe('startup', () => {
  it("refuses a 'transcoder.defaultProfile' that names no profile, listing those there are", async () => {
    await expect(startLiveroom({ transcoder: { defaultProfile: 'nope' } })).rejects.toThrow(
      "invalid configuration: 'transcoder.defaultProfile' names no profile 'nope' (there are: passthrough, default, low-cpu, abr-3)",
    );
  });
});
