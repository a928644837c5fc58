/**
 * Stock players against our LL-HLS (issue 12, item 2): fresh joins of our watch
 * page, stock hls.js (`lowLatencyMode: true` only), Shaka Player
 * (`streaming.lowLatencyMode`) and video.js (VHS), in headless Chromium, on the
 * default ladder (copy + 360p) of a stamped 720p30 publish (bench/stamp-*.ts).
 *
 * Per join: glass-to-glass latency of every presented frame (stamp read off the
 * picture), time to first frame, the longest freeze after the first frame (gap
 * between presented frames), when it first shows the top rendition, and how it
 * fetched (part/segment/playlist request times per rendition) with what its
 * bandwidth estimate said. Players take turns round by round, so machine load
 * hits them alike.
 */
import os from 'node:os';
import ffmpegInstaller from '@ffmpeg-installer/ffmpeg';
import type { Browser } from 'playwright-core';
import { launchBrowser } from '../tests/helpers/browser';
import { LiveroomProcess, sleep } from './bench/liveroom-process';
import { PlayerPages, type ThirdPartyPlayer } from './bench/player-pages';
import { PublisherProcess } from './bench/publisher-process';
import { STAMP_LAYOUT } from './bench/stamp-layout';
import { readerScript, type ReaderSnapshot } from './bench/stamp-reader';
import { median, summarize, type Summary } from './bench/stats';

export type PlayerName = 'ours' | ThirdPartyPlayer;
export const PLAYERS: PlayerName[] = ['ours', 'hlsjs', 'shaka', 'vjs'];

export interface PlayersBenchOptions {
  root: string;
  joins: number;
  /** Seconds measured from each join's first frame. */
  measureSeconds: number;
  settleSeconds: number;
  players: PlayerName[];
  /** LIVEROOM_* variables for the server (e.g. a profile). */
  env?: Record<string, string>;
  log: (line: string) => void;
}

interface RequestStat { kind: 'part' | 'segment' | 'playlist' | 'blocking' | 'init' | 'other'; rendition: string; ms: number; waitMs: number; bytes: number }

export interface JoinStats {
  latencyP50Ms: number | null;
  firstFrameMs: number | null;
  /** Longest gap between presented frames after the first one, ms. */
  maxFreezeMs: number;
  freezesOver500Ms: number;
  /** Each freeze over 0.5 s: when it began (ms after the first frame), how long, and the latency just before it. */
  freezes: Array<{ atMs: number; ms: number; latencyBeforeMs: number | null }>;
  /** First frame → first frame of the top rendition, ms (null: never within the window). */
  toTopMs: number | null;
  topShare: number;
  errors: string[];
  requests: Record<string, { count: number; medianMs: number; medianWaitMs: number; medianKbit: number }>;
  lastStats: Record<string, unknown> | null;
  /** The video's playback quality (frames decoded and dropped) at the end. */
  quality: { total: number; dropped: number } | null;
  /** What each of the page's SourceBuffers held at the end: type and buffered ranges. */
  buffers: string[];
}

export interface PlayerResult {
  player: PlayerName;
  latencyMs: Summary;
  joinP50Ms: Summary;
  firstFrameMs: Summary;
  maxFreezeMs: number;
  joinsWithFreezeOver500Ms: number;
  toTopMs: Summary;
  joinsReachingTop: number;
  joins: JoinStats[];
}

export interface PlayersResult {
  bench: 'players';
  startedAt: string;
  host: { cpus: number; loadavg: number[] };
  settings: Omit<PlayersBenchOptions, 'log' | 'root'>;
  masterPlaylist: string;
  mediaPlaylistHead: string;
  players: PlayerResult[];
}

const CHANNEL = 'live';
const TOP_HEIGHT = STAMP_LAYOUT.frameHeight;

function classify(url: string): Omit<RequestStat, 'ms' | 'waitMs' | 'bytes'> | null {
  // /hls/<channel>/master.m3u8, or /hls/<channel>/<broadcast>/<rendition>/<file>
  const u = new URL(url);
  const path = u.pathname.split('/').filter(Boolean);
  if (path[0] !== 'hls' || path.length < 3) return null;
  const file = path.at(-1)!;
  const rendition = path.length > 3 ? path.at(-2)! : '';
  const query = u.search;
  if (file.endsWith('.m3u8')) return { kind: /_HLS_msn/.test(query) ? 'blocking' : 'playlist', rendition };
  if (file.startsWith('part-')) return { kind: 'part', rendition };
  if (file.startsWith('seg-')) return { kind: 'segment', rendition };
  if (file.startsWith('init-')) return { kind: 'init', rendition };
  return { kind: 'other', rendition };
}

async function join(browser: Browser, url: string, opts: PlayersBenchOptions): Promise<JoinStats> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const requests: RequestStat[] = [];
  const errors: string[] = [];
  try {
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.length < 20 && errors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => m.type() === 'error' && errors.length < 20 && errors.push(m.text().slice(0, 200)));
    page.on('requestfinished', (req) => {
      const c = classify(req.url());
      if (!c) return;
      const t = req.timing();
      void req.sizes().then((sz) => {
        requests.push({ ...c, ms: t.responseEnd, waitMs: t.responseStart, bytes: sz.responseBodySize });
      }).catch(() => {});
    });
    await page.addInitScript({ content: readerScript({ layout: STAMP_LAYOUT, pin: null }) });
    // Keep the page's SourceBuffers reachable, to report what each one holds at the end.
    await page.addInitScript({ content: `(() => { const add = MediaSource.prototype.addSourceBuffer; window.__sbs = []; MediaSource.prototype.addSourceBuffer = function (type) { const sb = add.call(this, type); window.__sbs.push({ type, sb }); return sb; }; })();` });
    await page.goto(url, { waitUntil: 'domcontentloaded' });
    const deadline = Date.now() + 25_000;
    while (!(await page.evaluate('!!window.__bench && window.__bench.hasFirstFrame()'))) {
      if (Date.now() > deadline) throw new Error(`no frame within 25 s: ${errors.slice(-3).join(' | ')}`);
      await sleep(100);
    }
    await sleep(opts.measureSeconds * 1000);
    const snap = (await page.evaluate('window.__bench.collect()')) as ReaderSnapshot;
    const buffers = (await page.evaluate(`(window.__sbs || []).map(({ type, sb }) => { try { const r = []; for (let i = 0; i < sb.buffered.length; i++) r.push(sb.buffered.start(i).toFixed(3) + '-' + sb.buffered.end(i).toFixed(3)); return type.split(';')[0] + ' ' + r.join(' '); } catch (e) { return type + ' (removed)'; } })`)) as string[];
    const ff = snap.firstFrame!;
    const samples = snap.samples.filter((s) => s[0] >= ff.wall && s[0] <= ff.wall + opts.measureSeconds * 1000);
    const top = samples.find((s) => s[2] === TOP_HEIGHT);
    const byKind: JoinStats['requests'] = {};
    const groups = new Map<string, RequestStat[]>();
    for (const r of requests) groups.set(`${r.kind} ${r.rendition}`, [...(groups.get(`${r.kind} ${r.rendition}`) ?? []), r]);
    for (const [k, rs] of groups) {
      byKind[k] = {
        count: rs.length,
        medianMs: Math.round(median(rs.map((r) => r.ms))),
        medianWaitMs: Math.round(median(rs.map((r) => r.waitMs))),
        medianKbit: Math.round(median(rs.map((r) => (r.bytes * 8) / 1000))),
      };
    }
    const gaps = snap.frameGaps.filter((g) => g[0] > ff.wall);
    return {
      latencyP50Ms: samples.length ? Math.round(median(samples.map((s) => s[1]))) : null,
      firstFrameMs: Math.round(ff.sinceNavMs),
      maxFreezeMs: gaps.reduce((a, g) => Math.max(a, g[1]), 0),
      freezesOver500Ms: gaps.length,
      freezes: gaps.map(([end, ms]) => {
        const before = samples.filter((x) => x[0] <= end - ms).at(-1);
        return { atMs: Math.round(end - ms - ff.wall), ms: Math.round(ms), latencyBeforeMs: before ? Math.round(before[1]) : null };
      }),
      toTopMs: top ? Math.round(top[0] - ff.wall) : null,
      topShare: samples.length ? Math.round((samples.filter((s) => s[2] === TOP_HEIGHT).length / samples.length) * 1000) / 1000 : 0,
      errors: [...errors, ...snap.hlsErrors.map((e) => `${e.details}${e.fatal ? ' (fatal)' : ''}`)].slice(0, 30),
      requests: byKind,
      lastStats: snap.playerStats.at(-1) ?? null,
      quality: snap.quality,
      buffers,
      // all samples, for the cross-join summary
      ...({ _latencies: samples.map((s) => s[1]) } as object),
    } as JoinStats;
  } finally {
    await context.close().catch(() => {});
  }
}

export async function runPlayersBench(opts: PlayersBenchOptions): Promise<PlayersResult> {
  const server = new LiveroomProcess({ root: opts.root, env: opts.env });
  const publisher = new PublisherProcess();
  const pages = new PlayerPages(opts.root);
  let browser: Browser | null = null;
  try {
    await server.start();
    await pages.start();
    await publisher.start({ ffmpegPath: process.env.FFMPEG_PATH ?? ffmpegInstaller.path, rtmpUrl: server.rtmpUrl() });
    const master = `${server.httpOrigin}/hls/${CHANNEL}/master.m3u8`;
    const liveBy = Date.now() + 30_000;
    while (!(await fetch(master).then((r) => r.ok, () => false))) {
      if (publisher.died) throw new Error(publisher.died);
      if (Date.now() > liveBy) throw new Error('the stream did not go live within 30 s');
      await sleep(100);
    }
    await sleep(opts.settleSeconds * 1000);
    const masterPlaylist = await (await fetch(master)).text();
    const firstUri = masterPlaylist.split('\n').find((l) => l && !l.startsWith('#'))!;
    const mediaPlaylistHead = (await (await fetch(new URL(firstUri, master))).text()).split('\n').filter((l) => /^#EXT-X-(TARGET|PART-INF|SERVER|START|VERSION)/.test(l)).join('\n');
    browser = await launchBrowser();
    const urls: Record<PlayerName, string> = {
      ours: `${server.httpOrigin}/watch/${CHANNEL}`,
      hlsjs: pages.url('hlsjs', master),
      shaka: pages.url('shaka', master),
      vjs: pages.url('vjs', master),
    };
    const byPlayer = new Map<PlayerName, JoinStats[]>(opts.players.map((p) => [p, []]));
    for (let i = 0; i < opts.joins; i++) {
      for (const p of opts.players) {
        await sleep(Math.random() * 1000); // join anywhere in the part/segment cycle
        if (publisher.died) throw new Error(publisher.died);
        try {
          const j = await join(browser, urls[p], opts);
          byPlayer.get(p)!.push(j);
          opts.log(`${p} join ${i + 1}/${opts.joins}: p50 ${j.latencyP50Ms} ms, first frame ${j.firstFrameMs} ms, max freeze ${j.maxFreezeMs} ms, top after ${j.toTopMs ?? '-'} ms (${Math.round(j.topShare * 100)}% at top)${j.freezes.map((f) => `; froze at +${f.atMs} ms for ${f.ms} ms (latency before ${f.latencyBeforeMs ?? '-'} ms)`).join('')}`);
        } catch (err) {
          opts.log(`${p} join ${i + 1}/${opts.joins} failed: ${(err as Error).message}`);
        }
      }
    }
    const players = opts.players.map((p): PlayerResult => {
      const joins = byPlayer.get(p)!;
      const nums = (xs: Array<number | null>) => xs.filter((x): x is number => typeof x === 'number');
      return {
        player: p,
        latencyMs: summarize(joins.flatMap((j) => (j as unknown as { _latencies: number[] })._latencies)),
        joinP50Ms: summarize(nums(joins.map((j) => j.latencyP50Ms))),
        firstFrameMs: summarize(nums(joins.map((j) => j.firstFrameMs))),
        maxFreezeMs: joins.reduce((a, j) => Math.max(a, j.maxFreezeMs), 0),
        joinsWithFreezeOver500Ms: joins.filter((j) => j.freezesOver500Ms > 0).length,
        toTopMs: summarize(nums(joins.map((j) => j.toTopMs))),
        joinsReachingTop: joins.filter((j) => j.toTopMs !== null).length,
        joins: joins.map((j) => ({ ...j, _latencies: undefined }) as JoinStats),
      };
    });
    return {
      bench: 'players',
      startedAt: new Date().toISOString(),
      host: { cpus: os.cpus().length, loadavg: os.loadavg().map((x) => Math.round(x * 10) / 10) },
      settings: { joins: opts.joins, measureSeconds: opts.measureSeconds, settleSeconds: opts.settleSeconds, players: opts.players, env: opts.env },
      masterPlaylist,
      mediaPlaylistHead,
      players,
    };
  } finally {
    if (browser) await browser.close().catch(() => {});
    await publisher.stop().catch(() => {});
    await pages.stop().catch(() => {});
    await server.stop().catch(() => {});
  }
}

const s = (ms: number | undefined) => (ms === undefined || !Number.isFinite(ms) ? '-' : `${(ms / 1000).toFixed(2)} s`);

export function formatPlayersResult(r: PlayersResult): string {
  const rows = [
    ['player', 'p50', 'p95', 'join p50s (min–max)', 'first frame p50', 'max freeze', 'joins frozen >0.5 s', 'top rendition after (p50)', 'joins at top'],
    ...r.players.map((p) => [
      p.player, s(p.latencyMs.p50), s(p.latencyMs.p95), `${s(p.joinP50Ms.min)}–${s(p.joinP50Ms.max)}`, s(p.firstFrameMs.p50),
      s(p.maxFreezeMs), `${p.joinsWithFreezeOver500Ms}/${p.joins.length}`, s(p.toTopMs.p50), `${p.joinsReachingTop}/${p.joins.length}`,
    ]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  const table = rows.map((row) => row.map((c, i) => c.padEnd(widths[i])).join('  ')).join('\n');
  return `players: ${r.settings.joins} fresh joins each, ${r.settings.measureSeconds} s from the first frame; load average ${r.host.loadavg.join(' ')} on ${r.host.cpus} cores\n${table}`;
}
