/**
 * Recording retention through the real parts: two broadcasts published with
 * a real ffmpeg are recorded; a server started on the same data folder with a
 * per-channel size cap that holds only the newer one deletes the older one
 * (its index rows and its files) and keeps the newer one playable.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getText, publish, startLiveroom, STREAM_KEY, until, type Harness } from './helpers/liveroom-harness';
import { parseMedia } from './helpers/m3u8';

jest.setTimeout(180_000);

interface Listed { id: string; bytes: number; startedAt: number; endedAt: number | null; status: string }

describe('recording retention', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-retention-'));
  let h: Harness | undefined;
  afterAll(async () => {
    await h?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const list = async (hh: Harness): Promise<Listed[]> => {
    const token = fs.readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();
    const r = await fetch(`${hh.base}/api/admin/recordings?channel=live`, { headers: { authorization: `Bearer ${token}` } });
    return ((await r.json()) as { recordings: Listed[] }).recordings;
  };

  it('deletes the oldest recordings of a channel past recordings.maxSizeMbPerChannel, and keeps the newest', async () => {
    h = await startLiveroom({ dataDir });
    for (let i = 0; i < 2; i++) {
      const pub = publish(`${h.rtmp}/${STREAM_KEY}`, { seconds: 5 });
      await pub.exited;
      const hh = h;
      await until(async () => (await list(hh)).filter((r) => r.status === 'complete').length === i + 1, 30_000, `recording ${i + 1} to be finished`);
    }
    const [newer, older] = await list(h);
    expect(newer.startedAt).toBeGreaterThan(older.startedAt);
    await h.stop(); // removes only the harness's own temp folder, not dataDir

    // A cap that holds the newer recording and half the older one.
    const capMb = (newer.bytes + older.bytes / 2) / (1024 * 1024);
    h = await startLiveroom({ dataDir, recordings: { maxSizeMbPerChannel: capMb } });
    const hh = h;
    await until(async () => (await list(hh)).length === 1, 10_000, 'retention to run at start');
    expect((await list(h)).map((r) => r.id)).toEqual([newer.id]);
    // The index row goes first, then the files (a crash between leaves an unlisted folder, never a listed recording without media).
    await until(() => !fs.existsSync(path.join(dataDir, 'recordings', 'live', older.id)), 10_000, 'the older recording\'s files to be removed');
    expect((await getText(`${h.base}/vod/live/${older.id}/master.m3u8`)).status).toBe(404);
    const vod = parseMedia((await getText(`${h.base}/vod/live/${newer.id}/source/index.m3u8`)).text);
    expect(vod.endlist).toBe(true);
    expect(vod.segments.length).toBeGreaterThanOrEqual(3);
    for (const s of vod.segments) expect((await fetch(`${h.base}/vod/live/${newer.id}/source/${s.uri}`)).status).toBe(200);
  });
});
