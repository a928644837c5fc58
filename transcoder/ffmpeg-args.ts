import type { SourceInfo } from '../core/events';
import { ENCODER_ARGS, LIBX264, type EncoderSetup } from './encoder-args';
import { DEFAULT_AUDIO_KBPS, type KeyframePolicy, type Profile, type RenditionSpec } from './profiles';

/** A rendition sized for this source. */
export interface PlannedRendition {
  spec: RenditionSpec;
  width: number;
  height: number;
  /** Output frame rate cap applied, 0 for none. */
  fps: number;
  /** The frame rate the encoder sees (the cap, else the source's; 0 when unknown): rate control needs it. */
  frameRate: number;
}

export interface LadderPlan {
  renditions: PlannedRendition[];
  /** Why a rendition was left out (e.g. it would upscale). */
  notes: string[];
}

const even = (n: number) => Math.max(2, Math.round(n / 2) * 2);

/** H.264 profiles every browser decodes (8-bit 4:2:0): Baseline, Main, Extended, High. */
const BROWSER_H264_PROFILES = [66, 77, 88, 100];

/**
 * Why the publisher's video cannot be passed through to browsers, or undefined
 * when it can: anything but H.264, or H.264 above High (High 10, 4:2:2, 4:4:4).
 */
export function undecodableReason(source: SourceInfo): string | undefined {
  if (!source.videoCodec) return undefined; // not announced yet: nothing to go on
  if (source.videoCodec !== 'h264') return `the publisher sends ${source.videoCodec.toUpperCase()}, which not every browser decodes`;
  if (source.videoProfile !== undefined && !BROWSER_H264_PROFILES.includes(source.videoProfile)) {
    const name = { 110: 'High 10', 122: 'High 4:2:2', 244: 'High 4:4:4' }[source.videoProfile] ?? `profile ${source.videoProfile}`;
    return `the publisher sends H.264 ${name}, which browsers do not decode`;
  }
  return undefined;
}

/** A bitrate for an H.264 encode of the whole source picture, by height. */
const sourceSizeKbps = (height: number) => (height <= 360 ? 800 : height <= 480 ? 1200 : height <= 720 ? 2500 : height <= 1080 ? 4500 : 8000);

/** Fits a profile's ladder to the source: no upscaling, even sizes, frame rate caps only below the source rate. */
export function planLadder(profile: Profile, source: SourceInfo): LadderPlan {
  const notes: string[] = [];
  const renditions: PlannedRendition[] = [];
  const undecodable = undecodableReason(source);
  for (const profileSpec of profile.renditions) {
    let spec = profileSpec;
    if (spec.copy && undecodable) {
      // Never offer only what a browser cannot play: the copy becomes an H.264 8-bit encode of the whole picture.
      spec = { name: spec.name, height: source.height || undefined, videoKbps: sourceSizeKbps(source.height), preset: 'veryfast', audioKbps: spec.audioKbps };
      notes.push(`rendition '${spec.name}' encoded to H.264 8-bit instead of copied: ${undecodable}`);
    }
    if (spec.copy) {
      renditions.push({ spec, width: source.width, height: source.height, fps: 0, frameRate: source.frameRate });
      continue;
    }
    const height = spec.height ?? source.height;
    if (source.height > 0 && height > source.height) {
      notes.push(`rendition '${spec.name}' skipped: ${height}p would upscale the ${source.height}p source`);
      continue;
    }
    if (spec.width && source.width > 0 && spec.width > source.width) {
      notes.push(`rendition '${spec.name}' skipped: ${spec.width}x${height} would upscale the ${source.width}x${source.height} source`);
      continue;
    }
    // An explicit size is kept as given; otherwise the width follows the source's aspect ratio.
    const width = spec.width ?? (source.width > 0 && source.height > 0 ? even((height * source.width) / source.height) : 0);
    const fps = spec.maxFps && (!source.frameRate || source.frameRate > spec.maxFps) ? spec.maxFps : 0;
    renditions.push({ spec, width, height: even(height), fps, frameRate: fps || source.frameRate });
  }
  if (renditions.length === 0 && profile.renditions.length > 0) {
    // Every encode would upscale a tiny source: keep the smallest at source size rather than nothing.
    const spec = profile.renditions[profile.renditions.length - 1];
    renditions.push({ spec, width: even(source.width), height: even(source.height), fps: 0, frameRate: source.frameRate });
    notes.push(`rendition '${spec.name}' kept at the source size ${source.width}x${source.height}`);
  }
  return { renditions, notes };
}

export interface FfmpegPlan {
  ladder: PlannedRendition[];
  source: SourceInfo;
  /** One output URL per rendition, in ladder order (e.g. unix:/tmp/x/0.sock). */
  outputs: string[];
  /** LL-HLS part target, seconds: each fMP4 fragment must fit in it. */
  partTarget: number;
  /** The H.264 encoder for encoded renditions, as the probe proved it (libx264 when omitted). */
  encoder?: EncoderSetup;
  /** The profile's keyframe policy (default 'source'). */
  keyframes?: KeyframePolicy;
}

/** ffmpeg's command line in parts, in the order fluent-ffmpeg assembles them. */
export interface FfmpegCommand {
  inputOptions: string[];
  filterComplex?: string;
  outputs: { url: string; options: string[] }[];
}

/** Lowest source frame rate we plan fragments for: one frame of it is the slack below the part target. */
const MIN_PLANNED_FPS = 24;

export function buildFfmpegCommand(plan: FfmpegPlan): FfmpegCommand {
  const setup = plan.encoder ?? LIBX264;
  const enc = ENCODER_ARGS[setup.encoder];
  const encoded = plan.ladder.map((r, i) => ({ r, i })).filter(({ r }) => !r.spec.copy);
  const inputOptions = [
    '-f', 'flv', //                       node-media-server hands us FLV tags on stdin
    // No '-fflags nobuffer': it drops the packets read while probing, so the decoder would start
    // past the first keyframe and the copied and encoded renditions would begin on different frames.
    '-flags', 'low_delay', //             decoder: output frames as soon as possible
    '-analyzeduration', '500000', //      0.5 s of probing is enough for H.264/AAC with headers up front
    '-probesize', '500000',
    // Renditions aligned to the sample: every output keeps the publisher's own FLV timestamps
    // (never below zero), so the copied and the encoded renditions of one instant carry the same
    // media time, and the packager can match their segments exactly.
    '-copyts',
    // Encoded frames keep their input timestamps: no frame duplicated or dropped to fit a constant
    // rate (the first frame would be duplicated and every later one land a frame late).
    '-vsync', 'passthrough',
    ...(encoded.length > 0 ? enc.input(setup) : []), // the hardware device, when an encoder needs one
  ];

  let filterComplex: string | undefined;
  if (encoded.length > 0) {
    // One decode, (one upload,) split once, one scale per encoded rendition: every rendition sees the same frames.
    const upload = enc.upload(setup);
    const many = encoded.length > 1;
    const split = many ? `[0:v]${[...upload, `split=${encoded.length}`].join(',')}${encoded.map(({ i }) => `[s${i}]`).join('')};` : '';
    const chains = encoded.map(({ r, i }) => {
      const src = many ? `[s${i}]` : '[0:v]';
      const filters = [...(many ? [] : upload), ...enc.scale(setup, r)];
      return `${src}${filters.join(',')}[v${i}]`;
    });
    filterComplex = split + chains.join(';');
  }

  // Fragment duration: one frame of slack below the part target, so no fragment exceeds it.
  const fragUs = Math.max(50_000, Math.round((plan.partTarget - 1 / MIN_PLANNED_FPS) * 1_000_000));
  const audio = audioOptions(plan.source);

  const outputs = plan.ladder.map((r, i) => {
    const video = r.spec.copy
      ? ['-map', '0:v:0', '-c:v', 'copy']
      : [
        ...enc.video(setup, r, `[v${i}]`, plan.keyframes ?? 'source'),
        // The encoder counts time in the input's own units (FLV: ms), not in frames: a 1/fps clock
        // would round each timestamp to a frame slot and move it off the copied rendition's.
        '-enc_time_base:v', '-1',
      ];
    return {
      url: plan.outputs[i],
      options: [
        ...video,
        ...audio(r.spec),
        '-f', 'mp4',
        // Fragmented MP4 a part at a time: empty moov up front (the init segment), a fragment
        // at every keyframe (segments open on keyframes) and at most every fragUs. frag_discont:
        // each track's first tfdt is its first packet's real timestamp, not 0 (the muxer would
        // otherwise start every track of every output at its own first frame).
        '-movflags', 'frag_keyframe+empty_moov+default_base_moof+frag_discont',
        '-use_editlist', '0', //              no edit list (MSE ignores it): the timestamps say it all
        '-avoid_negative_ts', 'make_non_negative', // shift only if negative (encoded AAC's priming), the same in every output
        '-frag_duration', String(fragUs),
        '-video_track_timescale', '90000', // the usual 90 kHz clock: exact for 24/25/30/50/60 fps
        '-max_muxing_queue_size', '1024', //  a slow audio start must not stall the video
        '-flush_packets', '1', //             hand every fragment over at once
        '-muxdelay', '0',
      ],
    };
  });
  return { inputOptions, filterComplex, outputs };
}

function audioOptions(source: SourceInfo): (spec: RenditionSpec) => string[] {
  if (source.audioCodec === '' && source.videoCodec !== '') return () => ['-an'];
  if (source.audioCodec === 'aac') return () => ['-map', '0:a:0?', '-c:a', 'copy'];
  return (spec) => ['-map', '0:a:0?', '-c:a', 'aac', '-b:a', `${spec.audioKbps ?? DEFAULT_AUDIO_KBPS}k`, '-ac', '2'];
}

/** The full argument list, exactly as fluent-ffmpeg passes it (golden tests, logs). */
export function flattenCommand(cmd: FfmpegCommand): string[] {
  return [
    ...cmd.inputOptions,
    '-i', 'pipe:0',
    ...(cmd.filterComplex ? ['-filter_complex', cmd.filterComplex] : []),
    ...cmd.outputs.flatMap((o) => [...o.options, o.url]),
  ];
}
