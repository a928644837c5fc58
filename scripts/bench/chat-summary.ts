/**
 * The chat bench's summary over the runs (medians and spreads per variant, mode and N), its verdicts against the p99
 * target, and the projection of receivers per core: from each step's server CPU, and from a cost model fitted over
 * every step (µs per socket write and per message delivered).
 */
import { batchIntervalMs } from '../../chat/chat-server';
import { chatSchema } from '../../core/config-schema';
import type { ServerVariant } from './chat-options';
import type { ChatBenchResult, Spread, StepResult, StepSummary } from './chat-results';
import { median, round2, spread } from './stats';

/** The spread of the finite figures, rounded to two decimals; NaN throughout when there are none. */
function finiteSpread(values: number[]): Spread {
  const v = values.filter((x) => Number.isFinite(x));
  if (!v.length) return { median: NaN, min: NaN, max: NaN };
  const s = spread(v);
  return { median: round2(s.median), min: round2(s.min), max: round2(s.max) };
}

/**
 * Medians and spreads per (variant, mode, N), the verdicts and the cost model, from the steps (also from a saved
 * bench-results/chat.json: `summarizeChatSteps(r.steps, r.options.variants, { rate, targetP99Ms, baseChat: r.serverChatConfig })`).
 * A step where receivers were dropped (the server died or closed them) is left out of the CPU figures and the fit.
 */
export function summarizeChatSteps(
  results: StepResult[],
  variants: ServerVariant[],
  opts: { rate: number; targetP99Ms: number; baseChat: Record<string, unknown> },
): Pick<ChatBenchResult, 'summary' | 'verdict' | 'costModel'> {
  const baseChat = opts.baseChat;
  const clean = (r: StepResult) => r.disconnected === 0;
  const summary: StepSummary[] = [];
  for (const v of variants) {
    for (const mode of ['batch', 'single'] as const) {
      const ns = [...new Set(results.filter((r) => r.variant === v.name && r.mode === mode).map((r) => r.receivers))].sort((a, b) => a - b);
      for (const n of ns) {
        const all = results.filter((r) => r.variant === v.name && r.mode === mode && r.receivers === n);
        const mine = all.filter(clean);
        if (!mine.length) continue;
        summary.push({
          variant: v.name,
          mode,
          receivers: n,
          runs: mine.length,
          dropped: all.length - mine.length,
          p50: finiteSpread(mine.map((r) => r.latencyMs.p50)),
          p95: finiteSpread(mine.map((r) => r.latencyMs.p95)),
          p99: finiteSpread(mine.map((r) => r.latencyMs.p99)),
          lost: mine.reduce((a, r) => a + r.lost, 0),
          serverUsPerDelivery: finiteSpread(mine.map((r) => r.cpuPerDeliveryUs.server)),
          serverNetUsPerDelivery: finiteSpread(mine.map((r) => r.cpuPerDeliveryUs.serverNet)),
          idleUsPerClientSecond: finiteSpread(mine.map((r) => r.idle.serverUsPerClientSecond)),
          serverUsPerClientSecond: finiteSpread(mine.map((r) => r.serverUsPerClientSecond)),
          serverCore: finiteSpread(mine.map((r) => r.cpu.server)),
          loadGeneratorsCore: finiteSpread(mine.map((r) => r.cpu.loadGenerators)),
          otherCore: finiteSpread(mine.map((r) => r.cpu.otherProcesses)),
          messagesPerFrame: finiteSpread(mine.map((r) => r.messagesPerFrame ?? NaN)),
          projectedPerCore: finiteSpread(mine.map((r) => (r.cpu.server > 0 ? Math.round(r.receivers / r.cpu.server) : NaN))),
          pass: all.every((r) => r.pass),
        });
      }
    }
  }
  const verdict: ChatBenchResult['verdict'] = {};
  for (const v of variants) {
    for (const mode of ['batch', 'single'] as const) {
      const mine = summary.filter((s) => s.variant === v.name && s.mode === mode);
      if (!mine.length) continue;
      const ok = (s: StepSummary) => s.lost === 0 && s.p99.median <= opts.targetP99Ms;
      const firstFailing = mine.find((s) => !ok(s))?.receivers ?? null;
      const passing = mine.filter((s) => ok(s) && (firstFailing === null || s.receivers < firstFailing));
      const best = passing[passing.length - 1];
      verdict[`${v.name}/${mode}`] = {
        largestPassing: best?.receivers ?? null,
        firstFailing,
        projectedPerCore: best && Number.isFinite(best.projectedPerCore.median) ? best.projectedPerCore.median : null,
      };
    }
  }
  const costModel: ChatBenchResult['costModel'] = {};
  for (const v of variants) {
    const rows = results.filter((r) => r.variant === v.name && clean(r) && r.frames && Number.isFinite(r.cpuPerDeliveryUs.serverNet));
    if (rows.length < 2) continue;
    let sff = 0, sfd = 0, sdd = 0, sfy = 0, sdy = 0; // prettier-ignore
    for (const r of rows) {
      const d = r.expectedDeliveries - r.lost;
      const f = r.frames ?? 0;
      const y = (r.cpuPerDeliveryUs.serverNet * d) / 1e6;
      sff += f * f;
      sfd += f * d;
      sdd += d * d;
      sfy += f * y;
      sdy += d * y;
    }
    const det = sff * sdd - sfd * sfd;
    if (!(det > 0)) continue;
    const perWrite = ((sfy * sdd - sdy * sfd) / det) * 1e6;
    const perMessage = ((sff * sdy - sfd * sfy) / det) * 1e6;
    const chat = chatSchema.parse({ ...baseChat, ...(v.root ? {} : v.chat) });
    const idleMedian = median(rows.map((r) => r.idle.serverUsPerClientSecond).filter((x) => Number.isFinite(x) && x >= 0));
    const projected = [...new Set(rows.map((r) => r.receivers))].sort((a, b) => a - b).map((n) => {
      // Another build (main's) has the fixed interval; this one's grows with the room.
      const intervalMs = v.root ? chat.messageBatchMs : batchIntervalMs(chat, n);
      const usPerClientSecond = opts.rate * perMessage + (1000 / intervalMs) * perWrite + (Number.isFinite(idleMedian) ? idleMedian : 0);
      return { receivers: n, intervalMs, perCore: Math.round(1e6 / usPerClientSecond) };
    });
    costModel[v.name] = { usPerWrite: round2(perWrite), usPerMessage: Math.round(perMessage * 1000) / 1000, steps: rows.length, projected };
  }
  return { summary, verdict, costModel };
}
