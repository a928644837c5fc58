/**
 * Glass-to-glass latency of liveroom, measured honestly (issue 2, item 8).
 *
 * A Node publisher (its own process) generates 1280x720@30 frames in real time
 * and draws each frame's capture time into it (a row of black and white blocks,
 * see bench/stamp-layout.ts), then publishes over RTMP through ffmpeg (x264,
 * keyframe every second), like OBS. The real server (dist/server/main.js) ingests,
 * transcodes and serves LL-HLS. Headless Chromium opens the real watch page and
 * reads the stamp back off each presented frame (requestVideoFrameCallback):
 * latency = the frame's display time − the stamp, both on this machine's wall
 * clock. Nothing comes from the server's clocks or EXT-X-PROGRAM-DATE-TIME.
 *
 * Each level is pinned (hls.startLevel/loadLevel at MANIFEST_PARSED) and measured
 * over several fresh page loads ("joins"): where a viewer joins the keyframe
 * cycle largely sets the latency they keep, so one join is one random draw.
 * Time to first frame: fresh pages at hls.js's default level, navigation start
 * to the first presented frame.
 */
import os from 'node:os';
import ffmpegInstaller from '@ffmpeg-installer/ffmpeg';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../tests/helpers/browser';
import { LiveroomProcess, sleep } from './bench/liveroom-process';
import { childPids, cpuSecondsByTree, machineBusy } from './bench/proc-cpu';
import { STAMP_LAYOUT } from './bench/stamp-layout';
import { PublisherProcess } from './bench/publisher-process';
import { fmtS } from './bench/latency-table';
import type {
  CpuWindow,
  FirstFrameRun,
  LatencyBenchOptions,
  LatencyResult,
  LevelResult,
  LevelTarget,
} from './bench/latency-types';
import { readerScript, type PageTick, type ReaderSnapshot } from './bench/stamp-reader';
import { median, summarize } from './bench/stats';

export const LEVEL_TARGETS: LevelTarget[] = [
  { label: 'passthrough (source)', pin: { name: 'source', height: STAMP_LAYOUT.frameHeight } },
  { label: 'transcoded (360p)', pin: { name: '360p', height: 360 } },
];

const CHANNEL = 'live';

export async function runLatencyBench(opts: LatencyBenchOptions): Promise<LatencyResult> {
  const began = Date.now();
  const log = opts.log;
  const server = new LiveroomProcess({ root: opts.root });
  const publisher = new PublisherProcess();
  let browser: Browser | null = null;

  const killAllSync = (): void => {
    publisher.killGroup();
    server.killAndCleanSync();
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    killAllSync();
    process.stderr.write(`bench: ${signal}, children killed\n`);
    process.exit(130);
  };
  process.on('exit', killAllSync);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    log('starting liveroom…');
    await server.start();
    const origin = server.httpOrigin;
    const ffmpegPath = process.env.FFMPEG_PATH ?? ffmpegInstaller.path;
    log(`publishing ${STAMP_LAYOUT.frameWidth}x${STAMP_LAYOUT.frameHeight}@${STAMP_LAYOUT.fps} stamped frames to rtmp://127.0.0.1:${server.rtmpPort}/live/<key>…`);
    await publisher.start({ ffmpegPath, rtmpUrl: server.rtmpUrl() });
    const checkPublisher = (): void => {
      if (publisher.died) throw new Error(publisher.died);
    };

    const liveAfterMs = await waitForLive(`${origin}/hls/${CHANNEL}/master.m3u8`, publisher.startedAt, checkPublisher).catch(
      (err: unknown) => {
        const tail = server.logLines.slice(-15).join('\n');
        throw new Error(`${err instanceof Error ? err.message : String(err)}\nserver log (last lines):\n${tail}`, { cause: err });
      },
    );
    log(`master playlist up ${liveAfterMs} ms after publish start`);
    await sleep(opts.settleSeconds * 1000); // the stream already live for a few seconds
    checkPublisher();
    const masterPlaylist = await (await fetch(`${origin}/hls/${CHANNEL}/master.m3u8`)).text();
    const mediaPlaylistHeaders: Record<string, string> = {};
    for (const uri of variantUris(masterPlaylist)) {
      const url = new URL(uri, `${origin}/hls/${CHANNEL}/master.m3u8`).href;
      mediaPlaylistHeaders[uri] = playlistHeader(await (await fetch(url)).text());
    }

    browser = await launchBrowser();
    const watchUrl = `${origin}/watch/${CHANNEL}`;
    const roots = (): Record<string, number | undefined> => ({
      server: server.pid,
      publisher: publisher.pid,
      ...Object.fromEntries(childPids(process.pid, /chrom/i).map((pid, i) => [`browser${i || ''}`, pid])),
    });

    const levels: LevelResult[] = [];
    for (const target of LEVEL_TARGETS) {
      log(`measuring ${target.label}: ${opts.joins} × (fresh page, ${opts.warmupSeconds} s warm-up, ${opts.measureSeconds} s)…`);
      levels.push(await measureLevel(browser, watchUrl, target, opts, roots, checkPublisher));
      const l = levels[levels.length - 1];
      log(`  p50 ${fmtS(l.latencyMs.p50)}  p95 ${fmtS(l.latencyMs.p95)}  (${l.latencyMs.count} frames)`);
    }

    const runs: FirstFrameRun[] = [];
    for (let i = 0; i < opts.firstFrameRuns; i++) {
      // Join at a random point of the segment/part cycle.
      await sleep(250 + Math.random() * 1000);
      checkPublisher();
      const run = await firstFrameRun(browser, watchUrl);
      runs.push(run);
      log(`first frame run ${i + 1}/${opts.firstFrameRuns}: ${fmtS(run.sinceNavMs)} (at ${run.videoHeight}p)`);
    }
    checkPublisher();

    await browser.close();
    browser = null;
    const stopped = await publisher.stop();
    if (!stopped) throw new Error(`publisher did not report its stats: ${publisher.died ?? 'no reason'}`);
    const publisherStats = { ...stopped.stats, stderr: stopped.stderr };
    // Let the server notice the publisher leaving, then stop it.
    await sleep(500);
    await server.stop();

    return {
      bench: 'latency',
      startedAt: new Date(began).toISOString(),
      durationS: (Date.now() - began) / 1000,
      host: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? '', node: process.version, platform: `${os.platform()} ${os.release()}` },
      settings: {
        settleSeconds: opts.settleSeconds,
        joins: opts.joins,
        warmupSeconds: opts.warmupSeconds,
        measureSeconds: opts.measureSeconds,
        firstFrameRuns: opts.firstFrameRuns,
        publisher: {
          width: STAMP_LAYOUT.frameWidth,
          height: STAMP_LAYOUT.frameHeight,
          fps: STAMP_LAYOUT.fps,
          keyframeIntervalS: 1,
          encoder: 'libx264 veryfast zerolatency, 2500 kbit/s CBR, AAC 128k, RTMP',
        },
      },
      targets: { passthroughP50Ms: 1500, passthroughP95Ms: 2000, firstFrameMs: 2000 },
      levels,
      firstFrame: {
        medianMs: median(runs.map((r) => r.sinceNavMs)),
        medianSinceGotoMs: median(runs.map((r) => r.sinceGotoMs)),
        settledLatencyMs: summarize(runs.map((r) => r.settledLatencyMs).filter((x): x is number => x !== null)),
        runs,
      },
      server: { liveAfterMs, masterPlaylist, mediaPlaylistHeaders, log: server.logLines.slice(), warnings: serverWarnings(server.logLines) },
      publisher: publisherStats,
    };
  } finally {
    if (browser) await browser.close().catch(() => {});
    await publisher.stop().catch(() => {});
    await server.stop().catch(() => {});
    process.off('exit', killAllSync);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

interface JoinResult {
  /** Samples at the pinned level in the measuring window. */
  latencies: number[];
  series: Array<[number, number]>;
  expectedFrames: number;
  wrongLevelFrames: number;
  ticks: PageTick[];
  snap: ReaderSnapshot;
  console: string[];
  cpu: CpuWindow;
  /** ms from navigation start to the first readable frame at the pinned level. */
  firstFrameMs: number | null;
  /** Stamp differences between consecutive read frames (ms; 33.3 at 30 fps when no frame is skipped or repeated). */
  stampSteps: number[];
}

/** For error messages: what the page's video element is doing. */
const VIDEO_STATE_JS = `(() => {
  const v = (window.__liveroom && window.__liveroom.video) || document.querySelector('video');
  if (!v) return 'none';
  const r = v.getBoundingClientRect();
  return JSON.stringify({ state: document.body.dataset.state, paused: v.paused, readyState: v.readyState,
    currentTime: v.currentTime, size: [v.videoWidth, v.videoHeight], box: [r.width, r.height],
    display: getComputedStyle(v).display, error: v.error && v.error.message });
})()`;

/** One fresh page pinned to the level: wait for it to play, warm up, measure. */
async function measureJoin(
  browser: Browser,
  url: string,
  target: LevelTarget,
  opts: LatencyBenchOptions,
  roots: () => Record<string, number | undefined>,
  checkPublisher: () => void,
): Promise<JoinResult> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    const page = await context.newPage();
    const consoleLines = captureConsole(page);
    await page.addInitScript({ content: readerScript({ layout: STAMP_LAYOUT, pin: target.pin }) });
    await page.goto(url, { waitUntil: 'domcontentloaded' });
    try {
      await pollPage(page, `!!window.__bench && window.__bench.samplesAt(${target.pin.height}) > 0`, 30_000, 100);
    } catch (err) {
      const snap = (await page.evaluate('window.__bench && window.__bench.collect()')) as ReaderSnapshot | null;
      const video = await page.evaluate(VIDEO_STATE_JS).catch((e: unknown) => String(e));
      throw new Error(
        `${target.label}: no readable frame at ${target.pin.height}p within 30 s ` +
          `(video ${video}; hls.js instances ${snap?.hlsInstances}; states ${JSON.stringify(snap?.stateChanges ?? [])}; last tick ${JSON.stringify(snap?.ticks.at(-1) ?? null)}; marks ${JSON.stringify(snap?.marks ?? {})}; ` +
          `frames ${snap?.frames ?? 0}, rejects ${JSON.stringify(snap?.rejects ?? {})}, ` +
          `pin ${snap?.pinError ?? snap?.pinnedIndex}, errors ${JSON.stringify(snap?.hlsErrors.slice(-5) ?? [])}, ` +
          `console ${JSON.stringify(consoleLines.slice(-5))})`,
        { cause: err },
      );
    }
    await sleep(opts.warmupSeconds * 1000);
    checkPublisher();
    const cpu0 = cpuSecondsByTree(roots());
    const cpus0 = os.cpus();
    const start = Date.now();
    await sleep(opts.measureSeconds * 1000);
    const end = Date.now();
    const cpu = cpuWindow(cpu0, cpuSecondsByTree(roots()), cpus0, os.cpus(), (end - start) / 1000);
    checkPublisher();
    const snap = (await page.evaluate('window.__bench.collect()')) as ReaderSnapshot;

    const inWindow = snap.samples.filter((x) => x[0] >= start && x[0] < end);
    const atLevel = inWindow.filter((x) => x[2] === target.pin.height);
    const bySecond = new Map<number, number[]>();
    for (const x of atLevel) {
      const sec = Math.floor((x[0] - start) / 1000);
      bySecond.set(sec, [...(bySecond.get(sec) ?? []), x[1]]);
    }
    const firstAtLevel = snap.samples.find((x) => x[2] === target.pin.height);
    const ff = snap.firstFrame;
    const stampSteps = atLevel.slice(1).map((x, i) => x[0] - x[1] - (atLevel[i][0] - atLevel[i][1]));
    return {
      stampSteps,
      latencies: atLevel.map((x) => x[1]),
      series: [...bySecond.entries()].map(([sec, v]): [number, number] => [sec, Math.round(median(v))]),
      expectedFrames: Math.round(((end - start) / 1000) * STAMP_LAYOUT.fps),
      wrongLevelFrames: inWindow.length - atLevel.length,
      ticks: snap.ticks.filter((t) => t.t >= start && t.t < end),
      snap,
      console: consoleLines,
      cpu,
      firstFrameMs: firstAtLevel && ff ? Math.round(firstAtLevel[0] - ff.wall + ff.sinceNavMs) : null,
    };
  } finally {
    await context.close().catch(() => {});
  }
}

/** Several fresh joins at one pinned level (where a join lands in the GOP sets its latency). */
async function measureLevel(
  browser: Browser,
  url: string,
  target: LevelTarget,
  opts: LatencyBenchOptions,
  roots: () => Record<string, number | undefined>,
  checkPublisher: () => void,
): Promise<LevelResult> {
  const joins: JoinResult[] = [];
  for (let i = 0; i < opts.joins; i++) {
    if (i > 0) await sleep(Math.random() * 1000);
    const j = await measureJoin(browser, url, target, opts, roots, checkPublisher);
    joins.push(j);
    opts.log(`  join ${i + 1}/${opts.joins}: p50 ${fmtS(median(j.latencies))} (${j.latencies.length}/${j.expectedFrames} frames)`);
  }
  const nums = (xs: Array<number | null>): number[] => xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  const ticks = joins.flatMap((j) => j.ticks);
  const latencyMs = summarize(joins.flatMap((j) => j.latencies));
  const hlsLatency = summarize(nums(ticks.map((t) => t.latency)));
  const sumRecords = (recs: Array<Record<string, number>>): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const rec of recs) for (const [k, v] of Object.entries(rec)) out[k] = (out[k] ?? 0) + v;
    return out;
  };
  const avg = (xs: number[]): number => Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 100) / 100;
  const cpuKeys = [...new Set(joins.flatMap((j) => Object.keys(j.cpu.processes)))];
  const last = joins[joins.length - 1].snap;
  return {
    label: target.label,
    pin: target.pin,
    latencyMs,
    joins: joins.map((j) => ({
      latencyMs: summarize(j.latencies),
      hlsLatencyS: summarize(nums(j.ticks.map((t) => t.latency))).p50,
      firstFrameMs: j.firstFrameMs,
      series: j.series,
    })),
    pipelineMs: Math.round(latencyMs.p50 - hlsLatency.p50 * 1000),
    stampStepMs: summarize(joins.flatMap((j) => j.stampSteps)),
    expectedFrames: joins.reduce((a, j) => a + j.expectedFrames, 0),
    wrongLevelFrames: joins.reduce((a, j) => a + j.wrongLevelFrames, 0),
    rejects: sumRecords(joins.map((j) => j.snap.rejects)),
    framesPresented: joins.reduce((a, j) => a + j.snap.frames, 0),
    levels: last.levels,
    pinnedIndex: last.pinnedIndex,
    pinError: joins.map((j) => j.snap.pinError).find((e) => e !== null) ?? null,
    hlsLatency,
    hlsTargetLatency: summarize(nums(ticks.map((t) => t.targetLatency))),
    hlsDrift: summarize(nums(ticks.map((t) => t.drift))),
    playbackRate: summarize(ticks.map((t) => t.playbackRate)),
    bufferAheadS: summarize(ticks.map((t) => t.bufferAhead)),
    waitingEvents: joins.reduce((a, j) => a + j.snap.waitingEvents, 0),
    stalledMs: Math.round(joins.reduce((a, j) => a + j.snap.stalledMs, 0)),
    hlsErrors: joins.flatMap((j) => j.snap.hlsErrors),
    levelSwitches: joins.reduce((a, j) => a + j.snap.levelSwitches.length, 0),
    fragLoads: joins.reduce((a, j) => a + j.snap.fragLoads, 0),
    partLoads: joins.reduce((a, j) => a + j.snap.partLoads, 0),
    droppedVideoFrames: joins.reduce((a, j) => a + (j.snap.quality?.dropped ?? 0), 0),
    marks: roundValues(last.marks),
    console: joins.flatMap((j) => j.console),
    cpu: {
      machineBusy: avg(joins.map((j) => j.cpu.machineBusy)),
      cores: joins[0].cpu.cores,
      processes: Object.fromEntries(cpuKeys.map((k) => [k, avg(joins.map((j) => j.cpu.processes[k] ?? 0))])),
      otherCores: avg(joins.map((j) => j.cpu.otherCores)),
    },
  };
}

async function firstFrameRun(browser: Browser, url: string): Promise<FirstFrameRun> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    const page = await context.newPage();
    await page.addInitScript({ content: readerScript({ layout: STAMP_LAYOUT, pin: null }) });
    const gotoAt = Date.now();
    await page.goto(url, { waitUntil: 'commit' });
    await pollPage(page, '!!window.__bench && window.__bench.hasFirstFrame()', 20_000, 50);
    await sleep(2000);
    const snap = (await page.evaluate('window.__bench.collect()')) as ReaderSnapshot;
    const ff = snap.firstFrame!;
    const settled = snap.samples.filter((s) => s[0] > ff.wall + 1000).map((s) => s[1]);
    return {
      sinceNavMs: Math.round(ff.sinceNavMs),
      sinceGotoMs: Math.round(ff.wall - gotoAt),
      playingMs: snap.marks.playing !== undefined ? Math.round(snap.marks.playing) : null,
      videoHeight: ff.videoHeight,
      firstFrameLatencyMs: ff.latencyMs === null ? null : Math.round(ff.latencyMs),
      settledLatencyMs: settled.length ? Math.round(median(settled)) : null,
      marks: roundValues(snap.marks),
      hlsErrors: snap.hlsErrors,
    };
  } finally {
    await context.close().catch(() => {});
  }
}

/**
 * Polls a boolean expression with page.evaluate (DevTools protocol, so the page's
 * Content-Security-Policy does not apply; page.waitForFunction evaluates its string
 * predicate inside the page, which a CSP without 'unsafe-eval' blocks).
 */
async function pollPage(page: Page, expression: string, timeoutMs: number, intervalMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await page.evaluate(expression)) === true) return;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${expression}`);
    await sleep(intervalMs);
  }
}

function captureConsole(page: Page): string[] {
  const lines: string[] = [];
  page.on('console', (msg) => {
    const type = msg.type();
    if ((type === 'warning' || type === 'error') && lines.length < 100) lines.push(`${type}: ${msg.text()}`);
  });
  page.on('pageerror', (err) => {
    if (lines.length < 100) lines.push(`pageerror: ${err.message}`);
  });
  return lines;
}

async function waitForLive(masterUrl: string, since: number, check: () => void, timeoutMs = 20_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    check();
    try {
      const res = await fetch(masterUrl);
      const body = await res.text();
      if (res.ok && body.includes('#EXT-X-STREAM-INF')) return Date.now() - since;
    } catch {
      // retry
    }
    await sleep(50);
  }
  throw new Error(`${masterUrl} did not come up within ${timeoutMs} ms of publishing`);
}

function serverWarnings(lines: readonly string[]): string[] {
  return lines.filter((line) => {
    try {
      const rec = JSON.parse(line) as { level?: number };
      return typeof rec.level === 'number' && rec.level >= 40;
    } catch {
      return !/^\s*(liveroom is running|OBS server:|Stream key:|Player:)|^liveroom: SIG(TERM|INT), stopping/.test(line);
    }
  });
}

function variantUris(master: string): string[] {
  const lines = master.split('\n').map((l) => l.trim());
  const out: string[] = [];
  lines.forEach((line, i) => {
    if (line.startsWith('#EXT-X-STREAM-INF')) {
      const uri = lines.slice(i + 1).find((l) => l && !l.startsWith('#'));
      if (uri) out.push(uri);
    }
  });
  return out;
}

/** The tags before the first segment/part: target duration, part target, hold-backs, server control. */
function playlistHeader(playlist: string): string {
  const out: string[] = [];
  for (const line of playlist.split('\n')) {
    if (/^#EXT-X-(PART:|PROGRAM-DATE-TIME)|^#EXTINF/.test(line)) break;
    if (line.trim()) out.push(line.trim());
  }
  return out.join('\n');
}

function cpuWindow(
  before: Record<string, number>,
  after: Record<string, number>,
  cpus0: os.CpuInfo[],
  cpus1: os.CpuInfo[],
  seconds: number,
): CpuWindow {
  const processes: Record<string, number> = {};
  for (const [key, value] of Object.entries(after)) {
    processes[key] = Math.round(((value - (before[key] ?? 0)) / seconds) * 1000) / 10;
  }
  const busy = machineBusy(cpus0, cpus1);
  const ours = Object.values(processes).reduce((a, b) => a + b, 0) / 100;
  return {
    machineBusy: Math.round(busy * 1000) / 1000,
    cores: cpus1.length,
    processes,
    otherCores: Math.max(0, Math.round((busy * cpus1.length - ours) * 100) / 100),
  };
}

function roundValues(rec: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(rec).map(([k, v]) => [k, Math.round(v)]));
}

export { formatLatencyResult } from './bench/latency-table';
export type { LatencyBenchOptions, LatencyResult } from './bench/latency-types';
