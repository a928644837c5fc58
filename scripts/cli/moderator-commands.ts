import { Command } from 'commander';
import type { ModeratorTokenInfo } from '../../chat/moderator-tokens';
import { withContext } from './context';
import { table, when } from './output';

type NewToken = ModeratorTokenInfo & { token: string };

function showToken(t: NewToken, quiet: boolean, watchUrl: string): string {
  if (quiet) return t.token;
  return [
    `${t.role === 'streamer' ? 'Streamer' : 'Moderator'} token for channel '${t.channel}' (id ${t.id}, label '${t.label}'):`,
    '',
    `  ${t.token}`,
    '',
    `Open ${watchUrl}/watch/${t.channel}#token=<token> with it (the page keeps it for the tab and removes it from the address bar).`,
    'It is shown only this once. It moderates the chat; it cannot administer keys or profiles.',
  ].join('\n');
}

export function moderatorCommands(): Command {
  const mods = new Command('moderators').description("chat tokens: moderators, and the streamer's own badge (never the admin token in a browser)");

  mods
    .command('add <channel>')
    .description('create a moderator token for a channel (or, with --streamer, the creator\'s); shown only once')
    .requiredOption('-l, --label <name>', 'who it is for (e.g. "Mia")')
    .option('--streamer', "a streamer token: the creator's badge and moderation, for the creator's own browser")
    .option('-q, --quiet', 'print only the token (for scripts)')
    .addHelpText('after', '\nExamples:\n  $ liveroom moderators add live --label Mia\n  $ liveroom moderators add live --label me --streamer')
    .action(
      withContext(async (ctx, channel: string, opts: { label: string; streamer?: boolean; quiet?: boolean }) => {
        const t = await ctx.client.send<NewToken>('POST', `/channels/${encodeURIComponent(channel)}/moderators`, {
          label: opts.label,
          role: opts.streamer ? 'streamer' : 'moderator',
        });
        ctx.print(() => showToken(t, Boolean(opts.quiet), ctx.client.server), t);
      }),
    );

  mods
    .command('list [channel]')
    .description('list moderator and streamer tokens: id, label, role and dates (never the tokens)')
    .option('-a, --all', 'include revoked tokens')
    .action(
      withContext(async (ctx, channel: string | undefined, opts: { all?: boolean }) => {
        const res = await ctx.client.get<{ moderators: ModeratorTokenInfo[] }>(`/moderators${channel ? `?channel=${encodeURIComponent(channel)}` : ''}`);
        const shown = opts.all ? res.moderators : res.moderators.filter((t) => t.revokedAt === null);
        ctx.print(
          () =>
            shown.length === 0
              ? `No ${opts.all ? '' : 'active '}moderator tokens${channel ? ` for '${channel}'` : ''}. Add one: liveroom moderators add <channel> --label NAME`
              : table(
                  ['ID', 'CHANNEL', 'LABEL', 'ROLE', 'CREATED', 'LAST USED', 'STATUS'],
                  shown.map((t) => [t.id, t.channel, t.label, t.role, when(t.createdAt), when(t.lastUsedAt), t.revokedAt ? `revoked ${when(t.revokedAt)}` : 'active']),
                ),
          { moderators: shown },
        );
      }),
    );

  mods
    .command('revoke <id>')
    .description('revoke a token: its chat sessions are disconnected now, and it is refused from now on')
    .action(
      withContext(async (ctx, id: string) => {
        const t = await ctx.client.send<ModeratorTokenInfo & { disconnected: number }>('DELETE', `/moderators/${encodeURIComponent(id)}`);
        ctx.print(() => `Token ${t.id} ('${t.label}', ${t.role} on '${t.channel}') revoked; ${t.disconnected} chat session${t.disconnected === 1 ? '' : 's'} disconnected.`, t);
      }),
    );
  return mods;
}
