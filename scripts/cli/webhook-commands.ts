import { Command } from 'commander';
import type { WebhookAttempt } from '../../storage/webhook-attempt-store';
import { withContext } from './context';
import { UsageError } from './errors';
import { table, when } from './output';

/** `liveroom webhooks log`: the delivery log through the admin API, newest attempt first. */
export function webhookCommands(): Command {
  const hooks = new Command('webhooks').description("webhook deliveries to the endpoints in 'webhooks'");
  hooks
    .command('log')
    .description('the newest delivery attempts: time, event, endpoint, attempt, answer (HTTP status or error), duration, delivery id')
    .option('-n, --limit <n>', 'how many attempts (1 to 1000)', '20')
    .addHelpText('after', '\nExample:\n  $ liveroom webhooks log --limit 50')
    .action(
      withContext(async (ctx, opts: { limit: string }) => {
        if (!/^\d{1,4}$/.test(opts.limit) || Number(opts.limit) < 1 || Number(opts.limit) > 1000) throw new UsageError('--limit takes a whole number from 1 to 1000');
        const res = await ctx.client.get<{ deliveries: WebhookAttempt[] }>(`/webhooks/deliveries?limit=${Number(opts.limit)}`);
        ctx.print(
          () =>
            res.deliveries.length === 0
              ? "No webhook deliveries yet (endpoints are set in 'webhooks' in the config file)."
              : table(
                  ['TIME', 'EVENT', 'URL', 'ATTEMPT', 'RESULT', 'DURATION', 'DELIVERY'],
                  res.deliveries.map((d) => [when(d.at, true), d.event, d.url, d.attempt, d.status ?? d.error ?? '-', `${d.durationMs} ms`, d.deliveryId]),
                ),
          res,
        );
      }),
    );
  return hooks;
}
