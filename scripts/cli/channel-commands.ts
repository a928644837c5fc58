import { Command } from 'commander';
import type { StreamKeyInfo } from '../../storage/channel-store';
import { withContext } from './context';
import { UsageError } from './errors';
import { table, when, yesNo } from './output';
import { DESCRIPTION_MAX_LENGTH, OFFLINE_MESSAGE_MAX_LENGTH, TITLE_MAX_LENGTH } from '../../core/names';

interface ChannelJson {
  name: string;
  title: string;
  description: string;
  offlineMessage: string;
  profile: string | null;
  effectiveProfile: string;
  live: boolean;
  activeKeys: number;
  appliesTo?: string;
}

type NewKey = StreamKeyInfo & { key: string; replaces?: string };

const profileCell = (c: ChannelJson) => (c.profile ? c.profile : `${c.effectiveProfile} (server default)`);

function showKey(k: NewKey, quiet: boolean): string {
  if (quiet) return k.key;
  return [
    `Stream key for channel '${k.channel}' (id ${k.id}, label '${k.label}')${k.replaces ? `, replacing ${k.replaces} (now revoked)` : ''}:`,
    '',
    `  ${k.key}`,
    '',
    'It is shown only this once: paste it into OBS (Settings → Stream → Stream Key) now.',
  ].join('\n');
}

export function channelCommands(): Command {
  const channels = new Command('channels').description('channels: what viewers watch at /watch/<channel>');

  channels
    .command('list')
    .description('list channels with their profile and whether they are live')
    .action(
      withContext(async (ctx) => {
        const res = await ctx.client.get<{ channels: ChannelJson[] }>('/channels');
        ctx.print(() => table(['NAME', 'TITLE', 'PROFILE', 'LIVE', 'KEYS'], res.channels.map((c) => [c.name, c.title, profileCell(c), yesNo(c.live), c.activeKeys])), res);
      }),
    );

  channels
    .command('create <name>')
    .description('create a channel (then give it a stream key with `liveroom keys create <name>`)')
    .option('-t, --title <title>', 'display title (defaults to the name)')
    .option('-p, --profile <profile>', 'transcode profile (defaults to the server default)')
    .addHelpText('after', '\nExample:\n  $ liveroom channels create studio --title "Studio B" --profile abr-3 && liveroom keys create studio')
    .action(
      withContext(async (ctx, name: string, opts: { title?: string; profile?: string }) => {
        const c = await ctx.client.send<ChannelJson>('POST', '/channels', { name, title: opts.title, profile: opts.profile });
        ctx.print(() => `Channel '${c.name}' created (profile ${profileCell(c)}).\nGive it a stream key: liveroom keys create ${c.name}`, c);
      }),
    );

  channels
    .command('set <channel>')
    .description("change a channel's profile on the watch page: open pages show a new title at once")
    .option('-t, --title <title>', `title in the page header, the browser tab and link previews (1 to ${TITLE_MAX_LENGTH} characters)`)
    .option('-d, --description <text>', `shown below the video and in link previews (up to ${DESCRIPTION_MAX_LENGTH}; "" clears it)`)
    .option('-o, --offline-message <text>', `shown while the channel is offline (up to ${OFFLINE_MESSAGE_MAX_LENGTH}; "" for the default)`)
    .addHelpText('after', '\nExamples:\n  $ liveroom channels set live --title "Friday build stream" --description "We ship a feature live."\n  $ liveroom channels set live --offline-message "Back on Friday at 18:00 UTC"')
    .action(
      withContext(async (ctx, channel: string, opts: { title?: string; description?: string; offlineMessage?: string }) => {
        if (opts.title === undefined && opts.description === undefined && opts.offlineMessage === undefined) {
          throw new UsageError('give --title, --description or --offline-message (or several)');
        }
        const c = await ctx.client.send<ChannelJson>('PATCH', `/channels/${encodeURIComponent(channel)}`, {
          title: opts.title,
          description: opts.description,
          offlineMessage: opts.offlineMessage,
        });
        ctx.print(
          () =>
            [
              `Channel '${c.name}' updated.`,
              `  title:           ${c.title}`,
              `  description:     ${c.description || '(none)'}`,
              `  offline message: ${c.offlineMessage || '(the default)'}`,
            ].join('\n'),
          c,
        );
      }),
    );

  channels
    .command('use-profile <channel> [profile]')
    .description("assign a transcode profile to a channel (applies to its next publish)")
    .option('--reset', 'go back to the server default profile')
    .option('--restart', 'apply it now if the channel is live (a short discontinuity for viewers)')
    .addHelpText('after', '\nExamples:\n  $ liveroom channels use-profile live abr-3\n  $ liveroom channels use-profile live low-cpu --restart\n  $ liveroom channels use-profile live --reset')
    .action(
      withContext(async (ctx, channel: string, profile: string | undefined, opts: { reset?: boolean; restart?: boolean }) => {
        if (!profile && !opts.reset) throw new UsageError('name the profile (liveroom profiles list), or pass --reset for the server default');
        if (profile && opts.reset) throw new UsageError('give a profile or --reset, not both');
        const c = await ctx.client.send<ChannelJson>('PUT', `/channels/${encodeURIComponent(channel)}/profile`, { profile: profile ?? null });
        let restarted = false;
        if (opts.restart && c.live) {
          await ctx.client.send('POST', `/channels/${encodeURIComponent(channel)}/restart`);
          restarted = true;
        }
        ctx.print(
          () =>
            `Channel '${c.name}' now uses profile ${profileCell(c)}. ` +
            (restarted ? 'Applied now: the transcoder restarted.' : c.live ? `It applies to the next publish; apply it now with: liveroom channels restart ${c.name}` : 'It applies when the channel next goes live.'),
          { ...c, restarted },
        );
      }),
    );

  channels
    .command('restart <channel>')
    .description("restart a live channel's transcoder with its current profile (the publisher stays connected)")
    .action(
      withContext(async (ctx, channel: string) => {
        const res = await ctx.client.send<{ channel: string; profile: string }>('POST', `/channels/${encodeURIComponent(channel)}/restart`);
        ctx.print(() => `Channel '${res.channel}' restarted with profile '${res.profile}'. Viewers see a short discontinuity.`, res);
      }),
    );
  return channels;
}

export function keyCommands(): Command {
  const keys = new Command('keys').description('stream keys: what OBS publishes with (rtmp://HOST:1935/live/<key>)');

  keys
    .command('create <channel>')
    .description('create a stream key for a channel; the key is shown only once')
    .option('-l, --label <label>', 'a name to tell keys apart (e.g. "obs-laptop")')
    .option('-q, --quiet', 'print only the key (for scripts)')
    .addHelpText('after', '\nExamples:\n  $ liveroom keys create live --label obs-laptop\n  $ KEY=$(liveroom keys create live -q)')
    .action(
      withContext(async (ctx, channel: string, opts: { label?: string; quiet?: boolean }) => {
        const k = await ctx.client.send<NewKey>('POST', `/channels/${encodeURIComponent(channel)}/keys`, { label: opts.label });
        ctx.print(() => showKey(k, Boolean(opts.quiet)), k);
      }),
    );

  keys
    .command('list [channel]')
    .description('list stream keys: id, label and dates only (a key is shown once, when created; lost ones are replaced)')
    .option('-a, --all', 'include revoked keys')
    .action(
      withContext(async (ctx, channel: string | undefined, opts: { all?: boolean }) => {
        const res = await ctx.client.get<{ keys: StreamKeyInfo[] }>(`/keys${channel ? `?channel=${encodeURIComponent(channel)}` : ''}`);
        const shown = opts.all ? res.keys : res.keys.filter((k) => k.revokedAt === null);
        ctx.print(
          () =>
            shown.length === 0
              ? `No ${opts.all ? '' : 'active '}stream keys${channel ? ` for '${channel}'` : ''}. Create one: liveroom keys create <channel>`
              : table(
                  ['ID', 'CHANNEL', 'LABEL', 'CREATED', 'STATUS'],
                  shown.map((k) => [k.id, k.channel, k.label, when(k.createdAt), k.revokedAt ? `revoked ${when(k.revokedAt)}` : 'active']),
                ),
          { keys: shown },
        );
      }),
    );

  keys
    .command('rotate <id>')
    .description('replace a key with a new one (same channel and label); the old one stops working')
    .option('-q, --quiet', 'print only the new key')
    .action(
      withContext(async (ctx, id: string, opts: { quiet?: boolean }) => {
        const k = await ctx.client.send<NewKey>('POST', `/keys/${encodeURIComponent(id)}/rotate`);
        ctx.print(() => showKey(k, Boolean(opts.quiet)), k);
      }),
    );

  keys
    .command('revoke <id>')
    .description('revoke a key: publishing with it is refused from now on')
    .action(
      withContext(async (ctx, id: string) => {
        const k = await ctx.client.send<StreamKeyInfo>('DELETE', `/keys/${encodeURIComponent(id)}`);
        ctx.print(() => `Stream key ${k.id} ('${k.label}' on '${k.channel}') revoked.`, k);
      }),
    );
  return keys;
}
