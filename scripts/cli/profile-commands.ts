import { Command } from 'commander';
import { DEFAULT_VIDEO_KBPS, type Profile } from '../../transcoder/profiles';
import { withContext } from './context';
import { UsageError } from './errors';
import { table } from './output';
import { applyProfileFlags, editableProfile, RENDITION_HELP, readProfileFile, type ProfileFlags } from './profile-input';

export type ProfileView = Profile & { builtin: boolean; channels: string[]; keyframes: 'source' | number };

const dash = (v: unknown, suffix = '') => (v === undefined || v === null ? '-' : `${String(v)}${suffix}`);

export function ladderSummary(p: Profile): string {
  return p.renditions.map((r) => (r.copy ? `${r.name} (copy)` : `${r.name} ${r.videoKbps ?? DEFAULT_VIDEO_KBPS}k`)).join(', ');
}

function showProfile(p: ProfileView): string {
  const head = [
    `Profile '${p.name}' (${p.builtin ? 'built-in, read-only' : 'custom'})${p.description ? `: ${p.description}` : ''}`,
    `Encoder: ${p.encoder}   Keyframes: ${p.keyframes === 'source' ? "source (the publisher's)" : `every ${p.keyframes} s`}   Channels: ${p.channels.join(', ') || '-'}`,
    '',
  ];
  const rows = p.renditions.map((r) =>
    r.copy
      ? [r.name, 'copy', 'source', '-', '-', '-', '-', '-', '-']
      : [r.name, 'encode', r.width ? `${r.width}x${r.height}` : r.height ? `${r.height}p` : 'source', dash(r.maxFps), dash(r.videoKbps, 'k'), dash(r.maxrateKbps, 'k'), dash(r.bufsizeKbps, 'k'), dash(r.preset), dash(r.audioKbps, 'k')],
  );
  return [...head, table(['RENDITION', 'MODE', 'SIZE', 'MAX FPS', 'VIDEO', 'MAXRATE', 'BUFSIZE', 'PRESET', 'AUDIO'], rows)].join('\n');
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

function profileFlags(cmd: Command): Command {
  return cmd
    .option('-f, --file <path>', "a profile as JSON ('-' for standard input)")
    .option('-r, --rendition <spec>', `a rendition, repeatable: ${RENDITION_HELP}`, collect)
    .option('-e, --encoder <name>', 'auto, libx264, h264_nvenc, h264_vaapi or h264_qsv')
    .option('-k, --keyframes <policy>', "'source' (follow the publisher) or seconds between keyframes (no copy rendition)")
    .option('-d, --description <text>', 'what the profile is for');
}

export function profileCommands(): Command {
  const profiles = new Command('profiles').description('transcode profiles: the ladders of renditions viewers choose between');

  profiles
    .command('list')
    .description('list built-in and custom profiles')
    .action(
      withContext(async (ctx) => {
        const res = await ctx.client.get<{ defaultProfile: string; profiles: ProfileView[] }>('/profiles');
        ctx.print(
          () =>
            table(
              ['NAME', 'KIND', 'ENCODER', 'KEYFRAMES', 'CHANNELS', 'RENDITIONS'],
              res.profiles.map((p) => [
                p.name === res.defaultProfile ? `${p.name}*` : p.name,
                p.builtin ? 'built-in' : 'custom',
                p.encoder,
                String(p.keyframes),
                p.channels.join(',') || '-',
                ladderSummary(p),
              ]),
            ) + `\n\n* the server default (channels without a profile of their own use it)`,
          res,
        );
      }),
    );

  profiles
    .command('show <name>')
    .description("a profile's renditions in detail")
    .action(
      withContext(async (ctx, name: string) => {
        const p = await ctx.client.get<ProfileView>(`/profiles/${encodeURIComponent(name)}`);
        ctx.print(() => showProfile(p), p);
      }),
    );

  profileFlags(profiles.command('create [name]'))
    .description('create a profile from a JSON file or from flags')
    .addHelpText(
      'after',
      `
Examples:
  $ liveroom profiles create ladder -r name=source,copy -r name=480p,height=480,kbps=1200,fps=30 -r name=240p,height=240,kbps=400
  $ liveroom profiles create --file ladder.json
  $ liveroom profiles create nvenc-720 --encoder h264_nvenc -r name=720p,height=720,kbps=2500,preset=fast -r name=360p,height=360,kbps=800`,
    )
    .action(
      withContext(async (ctx, name: string | undefined, flags: ProfileFlags) => {
        const base = flags.file ? readProfileFile(flags.file) : {};
        if (name) base.name = name;
        if (typeof base.name !== 'string') throw new UsageError('name the profile: liveroom profiles create <name> …, or give "name" in the --file');
        if (!flags.file && !flags.rendition?.length) throw new UsageError('give the renditions: --rendition … (repeatable) or --file profile.json');
        const p = await ctx.client.send<ProfileView>('POST', '/profiles', applyProfileFlags(base, flags));
        ctx.print(() => `Profile '${p.name}' created: ${ladderSummary(p)}\nAssign it with: liveroom channels use-profile <channel> ${p.name}`, p);
      }),
    );

  profileFlags(profiles.command('edit <name>'))
    .description('change a custom profile: replace it with --file, or change parts with flags')
    .option('--remove-rendition <name>', 'drop a rendition, repeatable', collect)
    .addHelpText(
      'after',
      `
--rendition adds a rendition, or replaces the one with the same name.
The change applies to each channel's next publish; 'liveroom channels restart <channel>' applies it now.

Examples:
  $ liveroom profiles edit ladder -r name=480p,height=480,kbps=1500 --remove-rendition 240p
  $ liveroom profiles edit ladder --encoder libx264 --description "CPU only"
  $ liveroom profiles show ladder --json > ladder.json && $EDITOR ladder.json && liveroom profiles edit ladder --file ladder.json`,
    )
    .action(
      withContext(async (ctx, name: string, flags: ProfileFlags) => {
        const changes = [flags.file, flags.rendition?.length, flags.removeRendition?.length, flags.encoder, flags.keyframes, flags.description];
        if (!changes.some((c) => c !== undefined && c !== 0)) throw new UsageError('nothing to change: give --file, --rendition, --remove-rendition, --encoder, --keyframes or --description');
        const current = flags.file ? readProfileFile(flags.file) : editableProfile(await ctx.client.get<Record<string, unknown>>(`/profiles/${encodeURIComponent(name)}`));
        const body = applyProfileFlags(current, flags, true);
        body.name ??= name;
        const p = await ctx.client.send<ProfileView>('PUT', `/profiles/${encodeURIComponent(name)}`, body);
        const users = p.channels.length ? `\nChannels using it (${p.channels.join(', ')}) get it on their next publish, or now with: liveroom channels restart <channel>` : '';
        ctx.print(() => `Profile '${p.name}' saved: ${ladderSummary(p)}${users}`, p);
      }),
    );

  profiles
    .command('delete <name>')
    .description('delete a custom profile that no channel uses')
    .action(
      withContext(async (ctx, name: string) => {
        const res = await ctx.client.send<{ deleted: string }>('DELETE', `/profiles/${encodeURIComponent(name)}`);
        ctx.print(() => `Profile '${res.deleted}' deleted.`, res);
      }),
    );
  return profiles;
}
