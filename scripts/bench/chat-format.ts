/** The chat bench's printed table (scripts/bench-chat.ts): the summary per variant, mode and N, the verdicts, the cost model. */
import type { ChatBenchResult, Spread } from './chat-results';

export function formatChatResult(r: ChatBenchResult): string {
  const o = r.options;
  const sp = (s: Spread, digits = 0) =>
    Number.isFinite(s.median) ? (s.min === s.max ? s.median.toFixed(digits) : `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`) : '–';
  const pct = (s: Spread) => (Number.isFinite(s.median) ? `${Math.round(s.median * 100)}%` : '–');
  const lines = [
    `chat fan-out: ${o.rate} msg/s from ${o.senders} senders into one room; receivers (${o.client} generator${o.client === 'raw' ? `, 1 in ${o.sampleEvery} checks every message` : ''}) ` +
      `in ${o.workers} processes beside the server; ${o.measureSeconds} s measured per step, ${o.runs} run(s): median (min–max) (${r.machine.cpus} × ${r.machine.model}, ` +
      `load average at start ${r.machine.loadAverageAtStart.join(' ')})`,
    `delivery: batch = \`messages\` packets (auth.batch) at most every ${o.batchMs} ms unless a variant says otherwise, single = one \`message\` packet per message`,
    '',
    '  variant    delivery  receivers   runs   p50 ms          p95 ms          p99 ms          lost   server µs/delivery   idle µs/client/s   server core   gen core   others   msg/frame   receivers/core',
  ];
  for (const s of r.summary) {
    lines.push(
      `  ${s.variant.padEnd(10)} ${s.mode.padEnd(8)}  ${String(s.receivers).padStart(9)}   ${`${s.runs}${s.dropped ? `+${s.dropped}✗` : ''}`.padEnd(5)}  ${sp(s.p50).padEnd(14)}  ${sp(s.p95).padEnd(14)}  ${sp(s.p99).padEnd(14)}  ${String(s.lost).padStart(4)}   ` +
        `${sp(s.serverUsPerDelivery, 2).padEnd(19)}  ${sp(s.idleUsPerClientSecond, 1).padEnd(17)}  ${pct(s.serverCore).padStart(11)}   ${pct(s.loadGeneratorsCore).padStart(8)}   ${pct(s.otherCore).padStart(6)}   ` +
        `${sp(s.messagesPerFrame, 1).padStart(9)}   ${sp(s.projectedPerCore)}`,
    );
  }
  lines.push('', `target: median p99 ≤ ${o.targetP99Ms} ms and none lost`);
  for (const [key, v] of Object.entries(r.verdict)) {
    lines.push(
      `  ${key}: largest passing N = ${v.largestPassing ?? 'none'}${v.firstFailing !== null ? `, first miss at N = ${v.firstFailing}` : ''}` +
        `${v.projectedPerCore !== null ? `; projected ${v.projectedPerCore} receivers per core of server CPU at ${o.rate} msg/s` : ''}`,
    );
  }
  for (const [name, m] of Object.entries(r.costModel ?? {})) {
    lines.push(
      `  ${name}: server cost fit over ${m.steps} steps: ${m.usPerWrite} µs per socket write, ${m.usPerMessage} µs per message delivered; ` +
        `projected receivers per core at ${o.rate} msg/s: ${m.projected.map((p) => `${p.perCore} (${p.intervalMs} ms batches, as at N=${p.receivers})`).join(', ')}`,
    );
  }
  if (r.summary.some((s) => s.dropped)) lines.push('  (n+m✗: m runs of that step dropped receivers — the server exited or closed them — and are left out)');
  if (r.summary.some((s) => s.otherCore.max > 0.2)) lines.push('  (other processes used the CPU during some steps: latency figures are pessimistic; compare variants within a run)');
  return lines.join('\n');
}
