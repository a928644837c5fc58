import { Command } from 'commander';
import type { AnalyticsDetail as Detail, AnalyticsList, AnalyticsSummary as Listed } from '../../analytics/analytics-types';
import { withContext } from './context';
import { UsageError } from './errors';
import { duration, size } from './recording-commands';
import { sparkline, table, when } from './output';

const row = (b: Listed) => [
  b.broadcastId,
  b.channel,
  when(b.startedAt),
  duration(b.durationSeconds),
  b.peakViewers,
  b.averageViewers.toFixed(1),
  b.uniqueViewers,
  duration(b.watchSeconds),
  b.messages,
  b.chatters,
  b.danmaku,
  b.likes,
  b.shares,
  b.status,
];
const HEADERS = ['BROADCAST', 'CHANNEL', 'START', 'DURATION', 'PEAK', 'AVERAGE', 'UNIQUE', 'WATCH TIME', 'MESSAGES', 'CHATTERS', 'DANMAKU', 'LIKES', 'SHARES', 'STATUS'];

/** One broadcast: its figures, a sparkline of viewers over time, and what each rendition served. */
function detail(b: Detail): string {
  const viewers = b.samples.map((s) => s.viewers);
  const first = b.samples[0]?.at;
  const last = b.samples.at(-1)?.at;
  const renditions = Object.entries(b.renditions);
  return [
    table(HEADERS, [row(b)]),
    '',
    b.samples.length === 0
      ? 'No viewers samples yet.'
      : `Viewers over time (0 to ${Math.max(...viewers)}, ${b.samples.length} samples, one every ${b.sampleIntervalMs / 1000} s, ${when(first, true)} to ${when(last, true)} UTC):\n  ${sparkline(viewers)}`,
    ...(renditions.length ? ['', table(['RENDITION', 'REQUESTS', 'SERVED'], renditions.map(([name, r]) => [name, r.requests, size(r.bytes)]))] : []),
  ].join('\n');
}

/** `liveroom analytics [channel] [--broadcast id]`: engagement per broadcast through the admin API. */
export function analyticsCommands(): Command {
  return new Command('analytics')
    .description('engagement of the last broadcasts: start, duration, peak, average and unique viewers, watch time, messages, chatters, danmaku, likes, shares')
    .argument('[channel]', 'only this channel')
    .option('-b, --broadcast <id>', "one broadcast, with a chart of its viewers over time")
    .option('-n, --limit <n>', 'how many broadcasts (1 to 500)', '10')
    .addHelpText('after', '\nExamples:\n  $ liveroom analytics live\n  $ liveroom analytics --broadcast 1a2b3c4d\n  $ liveroom analytics --json')
    .action(
      withContext(async (ctx, channel: string | undefined, opts: { broadcast?: string; limit: string }) => {
        if (opts.broadcast !== undefined) {
          const res = await ctx.client.get<Detail>(`/analytics/${encodeURIComponent(opts.broadcast)}`);
          return ctx.print(() => detail(res), res);
        }
        if (!/^\d{1,3}$/.test(opts.limit) || Number(opts.limit) < 1 || Number(opts.limit) > 500) throw new UsageError('--limit takes a whole number from 1 to 500');
        const query = new URLSearchParams({ limit: String(Number(opts.limit)), ...(channel !== undefined && { channel }) });
        const res = await ctx.client.get<AnalyticsList>(`/analytics?${query}`);
        ctx.print(() => (res.broadcasts.length === 0 ? 'No broadcasts with analytics yet.' : table(HEADERS, res.broadcasts.map(row))), res);
      }),
    );
}
