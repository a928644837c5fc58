import { Command } from 'commander';
import type { EncoderReport } from '../../transcoder/encoder-probe';
import { withContext } from './context';
import { kbits, since, table, yesNo } from './output';

interface StatusChannel {
  name: string;
  /** Nodes on separate hosts: the node that ingests it. */
  origin?: { node: string; url: string | null; since: number; publishing: boolean } | null;
  live: boolean;
  publishing: boolean;
  since: number;
  profile: string;
  viewers: number;
  input: { width: number; height: number; frameRate: number; videoCodec: string; audioCodec: string; kbps: number; announcedKbps: number; droppedFrames?: number; droppedAudioFrames?: number } | null;
  encoder: { name: string; reason: string; speed: number | null; fps: number | null; outputKbps: number | null; restarts: number } | null;
  renditions: { name: string; width: number; height: number; bandwidth: number; frameRate: number; codecs: string[]; copy: boolean }[];
  notes: string[];
}

function state(c: StatusChannel, node?: string): string {
  if (c.live && c.origin && c.origin.node !== node) return `live ${since(c.since)} on node ${c.origin.node}${c.origin.publishing ? '' : ' (publisher gone)'}`;
  if (c.live) return `live ${since(c.since)}`;
  return c.publishing ? 'starting' : 'offline';
}

function showStatus(channels: StatusChannel[], node?: string, nodes?: { id: string; url: string }[]): string {
  const main = table(
    ['CHANNEL', 'STATE', 'PROFILE', 'ENCODER', 'INPUT', 'SPEED', 'VIEWERS'],
    channels.map((c) => [
      c.name,
      state(c, node),
      c.profile,
      c.encoder?.name ?? '-',
      c.input ? `${c.input.width}x${c.input.height}@${c.input.frameRate || '?'} ${kbits(c.input.kbps * 1000)}` : '-',
      c.encoder?.speed !== null && c.encoder?.speed !== undefined ? `${c.encoder.speed.toFixed(2)}x` : '-',
      c.viewers,
    ]),
  );
  const details = channels
    .filter((c) => c.renditions.length > 0 || c.notes.length > 0 || c.input?.droppedFrames)
    .map((c) => {
      const rows = c.renditions.map((r) => [r.name, r.copy ? 'copy' : c.encoder?.name ?? 'encode', `${r.width}x${r.height}`, r.frameRate.toFixed(3), kbits(r.bandwidth), r.codecs.join(',')]);
      const lines = [`\n${c.name}:`, table(['  RENDITION', 'MODE', 'RESOLUTION', 'FRAME-RATE', 'BANDWIDTH', 'CODECS'], rows.map((r) => [`  ${r[0]}`, ...r.slice(1)]))];
      if (c.encoder?.restarts) lines.push(`  ffmpeg restarted ${c.encoder.restarts} time(s) during this publish`);
      if (c.input?.droppedFrames) {
        lines.push(`  input: ${c.input.droppedFrames} video frame(s) dropped: ffmpeg ran slower than real time and its input buffer was full (a lighter profile helps)`);
      }
      for (const n of c.notes) lines.push(`  note: ${n}`);
      return lines.join('\n');
    });
  const cluster = node ? [`\nnode ${node}; nodes in the registry: ${(nodes ?? []).map((n) => `${n.id} (${n.url})`).join(', ') || '-'}`] : [];
  return [main, ...details, ...cluster].join('\n');
}

function showEncoders(r: EncoderReport): string {
  return [
    table(['ENCODER', 'HARDWARE', 'LISTED', 'WORKS', 'DETAILS'], r.encoders.map((e) => [e.encoder, yesNo(e.hardware), yesNo(e.listed), yesNo(e.works), e.reason])),
    '',
    `auto → ${r.auto}: ${r.autoReason}`,
    `ffmpeg ${r.ffmpegVersion} (${r.ffmpegPath})`,
  ].join('\n');
}

export function statusCommands(): Command[] {
  const status = new Command('status')
    .description('live status: channels live, renditions, input bitrate and frame rate, encoder speed, viewers')
    .argument('[channel]', 'only this channel')
    .addHelpText('after', '\nExamples:\n  $ liveroom status\n  $ liveroom status live --json | jq .channels[0].encoder.speed')
    .action(
      withContext(async (ctx, channel: string | undefined) => {
        const res = await ctx.client.get<{ channels: StatusChannel[]; node?: string; nodes?: { id: string; url: string }[] }>(`/status${channel ? `?channel=${encodeURIComponent(channel)}` : ''}`);
        ctx.print(() => showStatus(res.channels, res.node, res.nodes), res);
      }),
    );

  const encoders = new Command('encoders')
    .description('the H.264 encoders ffmpeg offers here, which ones passed a test encode, and what `auto` picks')
    .action(
      withContext(async (ctx) => {
        const res = await ctx.client.get<EncoderReport>('/encoders');
        ctx.print(() => showEncoders(res), res);
      }),
    );
  return [status, encoders];
}
