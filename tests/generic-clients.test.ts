/**
 * Viewers who are not in a browser: VLC 3 (Debian's `vlc-bin`) and ffmpeg's
 * HLS demuxer (what mpv, Kodi and many TV and set-top apps build on) open the
 * multivariant URL as ordinary HLS, ignore the low-latency tags, and must get
 * a continuous stream: every fMP4 segment fetched and demuxed in order, no
 * hole in the timestamps, nothing they call an error.
 *
 * VLC refuses to run as root, so as root it runs as `nobody` (runuser); it
 * records what it demuxes (`--sout`), read back packet by packet with ffmpeg.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveFfmpegPath } from '../transcoder/ffmpeg-path';
import { publish, startLiveroom, STREAM_KEY, until, getText, type Harness, type Publisher } from './helpers/liveroom-harness';

jest.setTimeout(120_000);

const VLC = '/usr/bin/cvlc';

interface Run { code: number | null; stdout: string; stderr: string }

function run(cmd: string, args: string[], timeoutMs: number): Promise<Run> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

interface Packet { stream: number; dts: number; duration: number }

/** ffmpeg's framecrc lines: `stream, dts, pts, duration, size, crc` with the stream's time base in a `#tb` header. */
function framecrc(text: string): { packets: Packet[]; timebase: Map<number, number> } {
  const timebase = new Map<number, number>();
  const packets: Packet[] = [];
  for (const line of text.split('\n')) {
    const tb = /^#tb (\d+): (\d+)\/(\d+)/.exec(line);
    if (tb) timebase.set(Number(tb[1]), Number(tb[2]) / Number(tb[3]));
    const m = /^\s*(\d+),\s*(-?\d+),\s*(-?\d+),\s*(\d+),/.exec(line);
    if (m) packets.push({ stream: Number(m[1]), dts: Number(m[2]), duration: Number(m[4]) });
  }
  return { packets, timebase };
}

/** Seconds of media on a stream, and its largest hole between one packet's end and the next one's start. */
function continuity(packets: Packet[], stream: number, tb: number): { seconds: number; count: number; maxHole: number } {
  const ps = packets.filter((p) => p.stream === stream);
  let maxHole = 0;
  for (let i = 1; i < ps.length; i++) maxHole = Math.max(maxHole, (ps[i].dts - (ps[i - 1].dts + ps[i - 1].duration)) * tb);
  const seconds = ps.length ? (ps[ps.length - 1].dts + ps[ps.length - 1].duration - ps[0].dts) * tb : 0;
  return { seconds, count: ps.length, maxHole };
}

describe('VLC and ffmpeg as HLS clients', () => {
  let h: Harness;
  let pub: Publisher;
  let master = '';
  let work = '';

  beforeAll(async () => {
    if (!fs.existsSync(VLC)) throw new Error(`${VLC} is missing: install Debian's vlc-bin and vlc-plugin-base (.ci/run does)`);
    h = await startLiveroom();
    pub = publish(`${h.rtmp}/${STREAM_KEY}`, { size: '640x360' });
    master = `${h.base}/hls/live/master.m3u8`;
    await until(async () => (await getText(master)).status === 200, 40_000, 'the stream to go live');
    // A few segments in the playlists, so both clients start a few back from the live edge as they do.
    await new Promise((r) => setTimeout(r, 4000));
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'liveroom-clients-'));
    fs.chmodSync(work, 0o777);
  });
  afterAll(async () => {
    await pub?.stop();
    await h?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('ffmpeg reads 8 s of the top rendition without a hole or an error', async () => {
    const r = await run(resolveFfmpegPath(), ['-hide_banner', '-loglevel', 'warning', '-i', master, '-map', '0:v:0', '-map', '0:a:0', '-c', 'copy', '-t', '8', '-f', 'framecrc', '-'], 60_000);
    expect(r.stderr.split('\n').filter((l) => /error|invalid|corrupt|non-existing/i.test(l))).toEqual([]);
    expect(r.code).toBe(0);
    const { packets, timebase } = framecrc(r.stdout);
    const video = continuity(packets, 0, timebase.get(0) ?? 0);
    const audio = continuity(packets, 1, timebase.get(1) ?? 0);
    expect(video.seconds).toBeGreaterThan(7.5);
    expect(video.count).toBeGreaterThan(7.5 * 30 - 5);
    expect(video.maxHole).toBeLessThan(0.05);
    expect(audio.seconds).toBeGreaterThan(7.5);
    expect(audio.maxHole).toBeLessThan(0.05);
  });

  it('VLC records 10 s of stream time through a rendition switch and the live reloads, without a hole', async () => {
    const out = path.join(work, 'vlc.ts');
    const args = ['--intf', 'dummy', '--no-interact', '--run-time', '10', '--play-and-exit', master, '--sout', `#std{access=file,mux=ts,dst=${out}}`];
    const asRoot = process.getuid?.() === 0;
    const r = await run(asRoot ? '/usr/sbin/runuser' : VLC, asRoot ? ['-u', 'nobody', '--', VLC, ...args] : args, 60_000);
    if (!fs.existsSync(out)) throw new Error(`VLC wrote nothing (exit ${r.code}):\n${r.stderr.slice(-2000)}`);
    // What VLC wrote, read back packet by packet.
    const back = await run(resolveFfmpegPath(), ['-hide_banner', '-loglevel', 'error', '-i', out, '-map', '0:v:0', '-map', '0:a:0', '-c', 'copy', '-f', 'framecrc', '-'], 30_000);
    expect(back.code).toBe(0);
    const { packets, timebase } = framecrc(back.stdout);
    const video = continuity(packets, 0, timebase.get(0) ?? 0);
    const audio = continuity(packets, 1, timebase.get(1) ?? 0);
    // --run-time counts stream time: VLC starts on the 360p rendition, moves to the top one, reads what the playlist
    // holds and then reloads it for the segments still to come. Renditions aligned to the sample: no hole at the switch.
    expect(video.seconds).toBeGreaterThan(8);
    expect(video.maxHole).toBeLessThan(0.05);
    expect(audio.seconds).toBeGreaterThan(8);
    expect(audio.maxHole).toBeLessThan(0.1);
    expect(r.stderr.split('\n').filter((l) => /adaptive.*(error|failed)|mp4.*error/i.test(l))).toEqual([]);
  });
});
