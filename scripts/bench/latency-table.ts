import type { LatencyResult } from './latency-types';
import { median } from './stats';

/** Milliseconds as "1.23 s" ("—" when missing). */
export function fmtS(ms: number | null | undefined, digits = 2): string {
  return typeof ms === 'number' && Number.isFinite(ms) ? `${(ms / 1000).toFixed(digits)} s` : '—';
}

/** The readable table printed by `npm run bench`. */
export function formatLatencyResult(r: LatencyResult): string {
  const pad = (s: string, n: number): string => s.padEnd(n);
  const lines: string[] = [];
  lines.push(`${pad('latency (glass-to-glass, hls.js lowLatencyMode)', 50)}${pad('p50', 9)}${pad('p95', 9)}${pad('max', 9)}samples`);
  for (const l of r.levels) {
    lines.push(
      `  ${pad(l.label, 48)}${pad(fmtS(l.latencyMs.p50), 9)}${pad(fmtS(l.latencyMs.p95), 9)}${pad(fmtS(l.latencyMs.max), 9)}` +
        `${l.latencyMs.count}/${l.expectedFrames}`,
    );
    lines.push(
      `    p50 of each join: ${l.joins.map((j) => fmtS(j.latencyMs.p50)).join(', ')}; ` +
        `stamp step p50/min/max ${l.stampStepMs.p50.toFixed(0)}/${l.stampStepMs.min.toFixed(0)}/${l.stampStepMs.max.toFixed(0)} ms; ` +
        `rejected reads ${Object.values(l.rejects).reduce((a, b) => a + b, 0)}`,
    );
  }
  const ff = r.firstFrame;
  const ffHeights = [...new Set(ff.runs.map((x) => `${x.videoHeight}p`))].join('/');
  lines.push(`${pad(`time to first frame (median of ${ff.runs.length}, default level)`, 50)}${fmtS(ff.medianMs)}`);
  lines.push(`  runs (navigation start → first frame, started at ${ffHeights}): ${ff.runs.map((x) => fmtS(x.sinceNavMs)).join(', ')}`);
  const markNames = ['domContentLoaded', 'hlsCreated', 'manifestParsed', 'levelLoaded', 'initLoaded', 'mediaLoaded', 'fragBuffered', 'playing'];
  const marks = markNames
    .map((m) => [m, ff.runs.map((x) => x.marks[m]).filter((v): v is number => typeof v === 'number')] as const)
    .filter(([, v]) => v.length > 0)
    .map(([m, v]) => `${m} ${Math.round(median(v))}`);
  lines.push(`  median ms since navigation: ${marks.join(', ')}, first frame ${Math.round(ff.medianMs)}`);
  lines.push(
    `  latency 1–2 s after each join: p50 ${fmtS(ff.settledLatencyMs.p50)}, ` +
      `min ${fmtS(ff.settledLatencyMs.min)}, max ${fmtS(ff.settledLatencyMs.max)}`,
  );
  lines.push('');
  lines.push('hls.js in the window            latency  target   pipeline rate   buffer  stalls   errors  parts/frags');
  for (const l of r.levels) {
    const errors = l.hlsErrors.length ? `${l.hlsErrors.length}${l.hlsErrors.some((e) => e.fatal) ? ' fatal!' : ''}` : '0';
    lines.push(
      `  ${pad(l.label, 30)}${pad(fmtS(l.hlsLatency.p50 * 1000), 9)}${pad(fmtS(l.hlsTargetLatency.p50 * 1000), 9)}` +
        `${pad(fmtS(l.pipelineMs), 9)}${pad(l.playbackRate.mean.toFixed(2), 7)}${pad(fmtS(l.bufferAheadS.p50 * 1000), 8)}` +
        `${pad(`${l.waitingEvents}/${(l.stalledMs / 1000).toFixed(1)}s`, 9)}${pad(errors, 8)}${l.partLoads}/${l.fragLoads}`,
    );
  }
  for (const l of [...r.levels, { label: 'first-frame runs', hlsErrors: r.firstFrame.runs.flatMap((x) => x.hlsErrors) }]) {
    for (const e of l.hlsErrors.slice(0, 5)) {
      lines.push(
        `  ! ${l.label}: hls.js ${e.fatal ? 'FATAL ' : ''}${e.type}/${e.details} ${e.url}${e.code !== null ? ` (${e.code})` : ''}` +
          `${e.reason ? ` ${e.reason}` : ''} ${e.buffered}`,
      );
    }
  }
  lines.push('  (latency = hls.latency, behind the playlist edge; target = hls.targetLatency; pipeline = g2g p50 − hls.latency p50;');
  lines.push('   rate = mean playbackRate; buffer = p50 forward buffer)');
  lines.push('');
  lines.push('CPU in the window (% of one core)');
  for (const l of r.levels) {
    const cpu = Object.entries(l.cpu.processes)
      .filter(([, v]) => v >= 1)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v.toFixed(0)}`)
      .join(', ');
    lines.push(
      `  ${pad(l.label, 30)}machine ${(l.cpu.machineBusy * 100).toFixed(0)}% of ${l.cpu.cores} cores; ${cpu}; ` +
        `other processes ${(l.cpu.otherCores * 100).toFixed(0)}`,
    );
  }
  const p = r.publisher;
  lines.push('');
  lines.push(
    `publisher: ${p.framesWritten} frames, late > 1 frame after start-up: ${p.lateFramesAfterStart} (max ${p.maxLateMsAfterStart.toFixed(0)} ms), ` +
      `max stdin backlog after start-up ${p.maxBacklogFramesAfterStart.toFixed(1)} frames`,
  );
  const busiest = Math.max(...r.levels.map((l) => l.cpu.machineBusy));
  const others = Math.max(...r.levels.map((l) => l.cpu.otherCores));
  if (busiest > 0.9 || others > 0.5 || p.maxLateMsAfterStart > 250 || p.maxBacklogFramesAfterStart > 15) {
    lines.push(
      `caution: the machine was busy (up to ${(busiest * 100).toFixed(0)}% of all cores, other processes up to ` +
        `${others.toFixed(2)} cores; publisher up to ${p.maxLateMsAfterStart.toFixed(0)} ms late, ` +
        `${p.maxBacklogFramesAfterStart.toFixed(0)} frames queued): these figures include CPU starvation.`,
    );
  }
  lines.push(
    `targets: passthrough p50 ≤ ${fmtS(r.targets.passthroughP50Ms, 1)}, p95 ≤ ${fmtS(r.targets.passthroughP95Ms, 1)}; ` +
      `first frame ≤ ${fmtS(r.targets.firstFrameMs, 1)}. stream live ${fmtS(r.server.liveAfterMs)} after publish; ` +
      `server warnings: ${r.server.warnings.length}; run took ${r.durationS.toFixed(0)} s`,
  );
  return lines.join('\n');
}
