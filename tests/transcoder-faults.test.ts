/**
 * Transcoder faults never wedge a channel, through the real parts (the server in
 * process, a real ffmpeg RTMP publisher, the real transcoder ffmpeg, HTTP):
 * a run that cannot start, a source that keeps crashing ffmpeg across
 * reconnects, and an ffmpeg that falls behind its input.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureBuilt, runCli } from './helpers/cli-harness';
import { getText, publish, startLiveroom, STREAM_KEY, until, type Harness, type Publisher, renditionUrl } from './helpers/liveroom-harness';
import { parseMedia } from './helpers/m3u8';

jest.setTimeout(180_000);

const live = async (h: Harness) => (await getText(`${h.base}/hls/live/master.m3u8`)).status === 200;

describe('a transcoder run that cannot start', () => {
  let h: Harness;
  let pub: Publisher | undefined;
  const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-faults-')) + '/runs';
  const exited: { willRestart: boolean; error?: string }[] = [];

  beforeAll(async () => {
    // The injected fault: the transcoder's temp folder is a file, so every run fails before ffmpeg is spawned.
    fs.writeFileSync(tempDir, 'not a folder');
    h = await startLiveroom({ transcoder: { tempDir, maxRestartsPerMinute: 1, defaultProfile: 'passthrough' } });
    h.room.bus.on('transcoder:exited', (e) => exited.push(e));
  });
  afterAll(async () => {
    await pub?.stop();
    await h?.stop();
    fs.rmSync(path.dirname(tempDir), { recursive: true, force: true });
  });

  it('finishes the run, retries within the channel budget, then disconnects the publisher', async () => {
    pub = publish(`${h.rtmp}/${STREAM_KEY}`);
    const code = await Promise.race([pub.exited, new Promise((r) => setTimeout(() => r('still connected'), 30_000))]);
    expect(code).not.toBe('still connected'); // kicked: its RTMP connection was closed
    expect(exited.map((e) => e.willRestart)).toEqual([true, false]);
    expect(exited[0].error).toMatch(/ENOTDIR|EEXIST/);
    await until(() => h.room.transcoder!.live().length === 0, 10_000, 'the transcode to end');
    expect(h.room.broadcasts!.phase('live')).toBe('idle');
    expect(await live(h)).toBe(false);
  });

  it('takes the next publish on that channel once the folder is usable again', async () => {
    fs.rmSync(tempDir);
    fs.mkdirSync(tempDir);
    pub = publish(`${h.rtmp}/${STREAM_KEY}`);
    await until(() => live(h), 30_000, 'the channel to go live');
    const pl = await until(async () => {
      const r = await getText(await renditionUrl(h.base, 'source'));
      return r.status === 200 && parseMedia(r.text).segments.length >= 1 && parseMedia(r.text);
    }, 30_000, 'a segment');
    expect(pl.endlist).toBe(false);
    // The run's sockets live in this server run's own folder under the configured temp folder.
    expect(fs.readdirSync(tempDir)).toEqual([expect.stringMatching(new RegExp(`^liveroom-${process.pid}-[0-9a-f]{6}$`))]);
  });
});

describe('a source that keeps crashing ffmpeg', () => {
  let h: Harness;
  let pub: Publisher | undefined;
  beforeAll(async () => {
    h = await startLiveroom({ transcoder: { maxRestartsPerMinute: 1, defaultProfile: 'passthrough' } });
  });
  afterAll(async () => {
    await pub?.stop();
    await h?.stop();
  });

  const crashFfmpeg = async () => {
    const job = await until(() => h.room.transcoder!.live().find((j) => j.pid), 30_000, 'ffmpeg running');
    await until(() => live(h), 30_000, 'live');
    process.kill(job.pid!, 'SIGKILL');
    return job.pid;
  };

  it('spends the restart budget per channel across reconnects, then disconnects the publisher', async () => {
    pub = publish(`${h.rtmp}/${STREAM_KEY}`);
    const first = await crashFfmpeg();
    // Restarted once (the budget is 1 a minute): a new ffmpeg, same publish.
    await until(() => h.room.transcoder!.live().find((j) => j.pid && j.pid !== first), 30_000, 'the restarted ffmpeg');
    expect(h.room.transcoder!.live()[0].restarts).toBe(1);
    // The publisher reconnects (a new publish): the budget is the channel's, so this crash is not restarted.
    await pub.stop();
    await until(() => h.room.broadcasts!.phase('live') === 'idle', 15_000, 'the broadcast to end');
    pub = publish(`${h.rtmp}/${STREAM_KEY}`);
    await crashFfmpeg();
    const code = await Promise.race([pub.exited, new Promise((r) => setTimeout(() => r('still connected'), 20_000))]);
    expect(code).not.toBe('still connected');
    await until(() => h.room.transcoder!.live().length === 0, 10_000, 'the transcode to end');
  });
});

describe('an ffmpeg slower than its input', () => {
  let h: Harness;
  let pub: Publisher | undefined;
  beforeAll(async () => {
    ensureBuilt();
    h = await startLiveroom({ transcoder: { inputBufferBytes: 256 * 1024, defaultProfile: 'passthrough' } });
  });
  afterAll(async () => {
    await pub?.stop();
    await h?.stop();
  });

  it('drops frames up to a keyframe past the bound, counts them in `liveroom status`, and carries on', async () => {
    pub = publish(`${h.rtmp}/${STREAM_KEY}`);
    await until(() => live(h), 30_000, 'live');
    const job = h.room.transcoder!.live()[0];
    // ffmpeg stops reading (frozen) while the publisher keeps sending in real time.
    process.kill(job.pid!, 'SIGSTOP');
    try {
      await until(() => h.room.transcoder!.live()[0].dropped.videoFrames > 30, 30_000, 'frames to be dropped');
    } finally {
      process.kill(job.pid!, 'SIGCONT');
    }
    const env = { ...process.env, LIVEROOM_SERVER: h.base, LIVEROOM_ADMIN_TOKEN: fs.readFileSync(path.join(h.dataDir, 'admin-token'), 'utf8').trim(), LIVEROOM_CONFIG: '' };
    const status = JSON.parse((await runCli(['status', 'live', '--json'], env)).stdout);
    expect(status.channels[0].input.droppedFrames).toBeGreaterThan(30);
    expect((await runCli(['status'], env)).stdout).toMatch(/input: \d+ video frame\(s\) dropped: ffmpeg ran slower than real time/);
    // The same ffmpeg carries on: new segments after the gap, no restart.
    const before = parseMedia((await getText(await renditionUrl(h.base, 'source'))).text);
    const lastMsn = before.segments[before.segments.length - 1]?.msn ?? -1;
    await until(async () => parseMedia((await getText(await renditionUrl(h.base, 'source'))).text).segments.some((s) => s.msn > lastMsn + 1), 30_000, 'new segments');
    expect(h.room.transcoder!.live()[0]).toMatchObject({ pid: job.pid, restarts: 0 });
  });
});
