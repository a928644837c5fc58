import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import type { RecordingRendition, RecordingSettings, RecordingStatus } from '../../storage/recording-store';
import type { ReplaySummary } from '../../recordings/replay-types';
import { withContext } from './context';
import { UsageError } from './errors';
import { table, when } from './output';

interface ListedRecording extends ReplaySummary {
  bytes: number;
  status: RecordingStatus;
  stopped: 'disk-full' | 'failed' | null;
}
interface RecordingDetail extends ListedRecording {
  renditionDetails: RecordingRendition[];
}
interface SettingsReply {
  channel: string;
  own: RecordingSettings;
  effective: { enabled: boolean; renditions: 'top' | 'all' | string[] };
}

export function size(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${Math.round(bytes / 1024)} KiB`;
}

export function duration(seconds: number): string {
  const s = Math.round(seconds);
  return `${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

const statusOf = (r: ListedRecording) => (r.stopped ? `recording, stopped: ${r.stopped}` : r.status);

/** A one-line progress bar for a terminal (stderr); nothing when stderr is not one. */
export function progressBar(received: number, total: number, width = 30): string {
  if (total <= 0) return `${size(received)}`;
  const f = Math.min(1, received / total);
  const n = Math.round(f * width);
  return `[${'#'.repeat(n)}${'.'.repeat(width - n)}] ${Math.round(f * 100)}% ${size(received)} / ${size(total)}`;
}

function renditionsSetting(value: string): RecordingSettings['renditions'] {
  if (value === 'default') return null;
  if (value === 'top' || value === 'all') return value;
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw new UsageError("--renditions takes 'top', 'all', 'default' or names separated by commas (e.g. source,360p)");
  return names;
}

export function recordingCommands(): Command {
  const rec = new Command('recordings').description('past broadcasts kept as replays: list, show, delete, export as MP4, per-channel settings');

  rec
    .command('list [channel]')
    .description('recordings, newest first: id, channel, start, duration, size, renditions, thumbnail, status, title')
    .action(
      withContext(async (ctx, channel: string | undefined) => {
        const res = await ctx.client.get<{ recordings: ListedRecording[] }>(`/recordings${channel ? `?channel=${encodeURIComponent(channel)}` : ''}`);
        const total = res.recordings.reduce((a, r) => a + r.bytes, 0);
        ctx.print(
          () =>
            res.recordings.length === 0
              ? `No recordings${channel ? ` of '${channel}'` : ''}. Every broadcast is recorded unless 'recordings.enabled' is false or the channel turned it off.`
              : `${table(
                  ['ID', 'CHANNEL', 'STARTED', 'DURATION', 'SIZE', 'RENDITIONS', 'PEAK', 'MSGS', 'THUMB', 'STATUS', 'TITLE'],
                  res.recordings.map((r) => [r.id, r.channel, when(r.startedAt), duration(r.duration), size(r.bytes), r.renditions.join(','), r.peakViewers, r.messages, r.thumbnail ? 'yes' : 'no', statusOf(r), r.title]),
                )}\n\n${res.recordings.length} recording${res.recordings.length === 1 ? '' : 's'}, ${size(total)}`,
          res,
        );
      }),
    );

  rec
    .command('show <id>')
    .description('one recording: times, renditions with sizes and bitrates, replay, playlist and thumbnail URLs')
    .action(
      withContext(async (ctx, id: string) => {
        const r = await ctx.client.get<RecordingDetail>(`/recordings/${encodeURIComponent(id)}`);
        ctx.print(
          () =>
            [
              `Recording ${r.id} of '${r.channel}': ${r.title}`,
              `  started   ${when(r.startedAt)}   ended ${r.endedAt ? when(r.endedAt) : '- (on air)'}   duration ${duration(r.duration)}`,
              `  status    ${statusOf(r)}   size ${size(r.bytes)}   peak viewers ${r.peakViewers}   messages ${r.messages}   likes ${r.likes ?? '-'}`,
              `  replay    ${ctx.client.server}${r.page}`,
              `  playlist  ${ctx.client.server}${r.playlist}`,
              `  thumbnail ${r.thumbnail ? `${ctx.client.server}${r.thumbnail}` : '- (made when the broadcast ends; the server log says why when it could not be)'}`,
              '',
              table(
                ['RENDITION', 'SIZE', 'RESOLUTION', 'DURATION', 'SEGMENTS', 'PEAK', 'AVERAGE', 'CODECS'],
                r.renditionDetails.map((d) => [
                  d.name,
                  size(d.bytes),
                  `${d.width}x${d.height}`,
                  duration(d.duration),
                  d.segments,
                  `${Math.round(d.peakBitrate / 1000)} kb/s`,
                  `${d.duration > 0 ? Math.round((d.bytes * 8) / d.duration / 1000) : 0} kb/s`,
                  d.codecs.join(','),
                ]),
              ),
            ].join('\n'),
          r,
        );
      }),
    );

  rec
    .command('delete <id>')
    .description('delete a recording: its files and its index rows (not one still on air)')
    .action(
      withContext(async (ctx, id: string) => {
        const r = await ctx.client.send<{ deleted: string; channel: string; bytes: number }>('DELETE', `/recordings/${encodeURIComponent(id)}`);
        ctx.print(() => `Recording ${r.deleted} of '${r.channel}' deleted (${size(r.bytes)} freed).`, r);
      }),
    );

  rec
    .command('export <id>')
    .description('one progressive MP4 of a recording (remuxed on the server by its ffmpeg, no re-encode), downloaded to a file')
    .requiredOption('-o, --output <file>', 'the MP4 to write')
    .option('-r, --rendition <name>', 'which recorded rendition (default: the first recorded, the top one)')
    .addHelpText('after', '\nExample:\n  $ liveroom recordings export 1a2b3c4d -o stream.mp4')
    .action(
      withContext(async (ctx, id: string, opts: { output: string; rendition?: string }) => {
        const out = path.resolve(opts.output);
        if (!fs.existsSync(path.dirname(out))) throw new UsageError(`the folder of ${opts.output} does not exist`);
        const q = opts.rendition ? `?rendition=${encodeURIComponent(opts.rendition)}` : '';
        const tty = process.stderr.isTTY && !ctx.json;
        if (tty) process.stderr.write('remuxing on the server…');
        let last = 0;
        const partial = `${out}.part`;
        let bytes: number;
        try {
          bytes = await ctx.client.download(`/recordings/${encodeURIComponent(id)}/export${q}`, partial, (received, total) => {
            const now = Date.now();
            if (tty && (now - last > 100 || received === total)) {
              last = now;
              process.stderr.write(`\r${progressBar(received, total)}   `);
            }
          });
        } catch (err) {
          fs.rmSync(partial, { force: true });
          if (tty) process.stderr.write('\n');
          throw err;
        }
        fs.renameSync(partial, out);
        if (tty) process.stderr.write('\n');
        ctx.print(() => `Wrote ${opts.output} (${size(bytes)}).`, { id, file: out, bytes });
      }),
    );

  rec
    .command('settings <channel>')
    .description("show or change a channel's recording settings (the next broadcast follows them)")
    .option('--on', 'record this channel')
    .option('--off', 'do not record this channel')
    .option('--default', "follow the server's 'recordings.enabled'")
    .option('--renditions <which>', "'top' (the ladder's first), 'all', names (source,360p), or 'default'")
    .addHelpText('after', '\nExamples:\n  $ liveroom recordings settings live --renditions all\n  $ liveroom recordings settings test --off')
    .action(
      withContext(async (ctx, channel: string, opts: { on?: boolean; off?: boolean; default?: boolean; renditions?: string }) => {
        const flags = [opts.on, opts.off, opts.default].filter(Boolean).length;
        if (flags > 1) throw new UsageError('give at most one of --on, --off and --default');
        const p = `/recordings/settings/${encodeURIComponent(channel)}`;
        let r = await ctx.client.get<SettingsReply>(p);
        if (flags || opts.renditions !== undefined) {
          const next: RecordingSettings = {
            enabled: opts.on ? true : opts.off ? false : opts.default ? null : r.own.enabled,
            renditions: opts.renditions !== undefined ? renditionsSetting(opts.renditions) : r.own.renditions,
          };
          r = await ctx.client.send<SettingsReply>('PUT', p, next);
        }
        const show = (v: unknown, own: unknown) => `${Array.isArray(v) ? v.join(',') : String(v)}${own === null ? ' (server default)' : ''}`;
        ctx.print(() => `Channel '${r.channel}': recording ${r.effective.enabled ? 'on' : 'off'}${r.own.enabled === null ? ' (server default)' : ''}, renditions ${show(r.effective.renditions, r.own.renditions)}.`, r);
      }),
    );
  return rec;
}
