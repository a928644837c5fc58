import type { PlannedRendition } from './ffmpeg-args';
import { DEFAULT_VIDEO_KBPS, type H264Encoder, type KeyframePolicy, type Preset } from './profiles';

/** GPU scaling filters, by encoder family. */
export type GpuScaler = 'scale_cuda' | 'scale_npp' | 'scale_vaapi' | 'scale_qsv' | 'vpp_qsv';

/** How one H.264 encoder is driven on this machine (what the encoder probe proved). */
export interface EncoderSetup {
  encoder: H264Encoder;
  /**
   * 'gpu': frames live on the GPU (decoded or uploaded there) and are scaled there.
   * 'system': decoded and scaled in software; the encoder takes system-memory frames.
   */
  frames: 'system' | 'gpu';
  /** The GPU scaling filter when frames are on the GPU. */
  scaler?: GpuScaler;
  /** Render node for VAAPI and QSV (e.g. /dev/dri/renderD128). */
  device?: string;
  /** The encoder's private options in this ffmpeg build (`ffmpeg -h encoder=X`): some flags only exist in newer builds. */
  options: readonly string[];
}

export const LIBX264: EncoderSetup = { encoder: 'libx264', frames: 'system', options: [] };

/** One encoder's argument set. Every part is a pure function of the setup and the rendition. */
export interface EncoderArgs {
  /** Input options that open the hardware (before `-i`). */
  input(setup: EncoderSetup): string[];
  /** Filters run once on the decoded video, before the split (e.g. the upload to the GPU). */
  upload(setup: EncoderSetup): string[];
  /** The rendition's own filters: the frame rate cap (fewer frames to scale), then scale. */
  scale(setup: EncoderSetup, r: PlannedRendition): string[];
  /** Video output options; `label` is the filter output to encode. */
  video(setup: EncoderSetup, r: PlannedRendition, label: string, keyframes: KeyframePolicy): string[];
}

/** Bitrate, maxrate and bufsize in kbit/s, with the defaults every encoder shares. */
export function rates(r: PlannedRendition) {
  const s = r.spec;
  const kbps = s.videoKbps ?? DEFAULT_VIDEO_KBPS;
  return { kbps, maxrate: s.maxrateKbps ?? Math.round(kbps * 1.07), bufsize: s.bufsizeKbps ?? kbps * 2 };
}

/**
 * The frame rate cap. Not the fps filter: it re-times frames onto a grid and drops
 * whichever falls between slots, keyframes included, so the encoded rendition would
 * miss the source's keyframes (and segment boundaries). This keeps every keyframe and
 * otherwise a frame once 90% of a capped frame interval has passed, timestamps untouched.
 */
export function fpsCapFilter(fps: number): string {
  const gap = Math.round((0.9 / fps) * 1e6) / 1e6;
  return `select='gt(isnan(prev_selected_t)+key+gte(t-prev_selected_t,${gap}),0)'`;
}
const fpsCap = (r: PlannedRendition) => (r.fps ? [fpsCapFilter(r.fps)] : []);

/** A frame rate as ffmpeg and x264 read it: 29.97 → 30000/1001, 30 → 30. */
export function rateString(fps: number): string {
  const ntsc = Math.round(fps * 1.001);
  if (Math.abs(fps - ntsc / 1.001) < 0.005 && Math.abs(fps - ntsc) > 0.005) return `${ntsc * 1000}/1001`;
  return String(Math.round(fps * 1000) / 1000);
}

/**
 * Keyframe placement, the same for every encoder so renditions stay aligned.
 * 'source': exactly where the publisher has them (copied and encoded renditions
 * then open segments on the same instants). A number: every N seconds of the
 * stream's timestamps, identical in every rendition of the run.
 */
export function keyframeArgs(policy: KeyframePolicy): string[] {
  const force = policy === 'source' ? 'source' : `expr:gte(t,n_forced*${policy})`;
  return [
    '-force_key_frames', force,
    '-g', '600', //                       no other keyframes, unless 20 s pass without one
  ];
}

const libx264: EncoderArgs = {
  input: () => [],
  upload: () => [],
  scale: (_s, r) => [...fpsCap(r), `scale=${r.width || -2}:${r.height}`],
  video: (_s, r, label, keyframes) => {
    const { kbps, maxrate, bufsize } = rates(r);
    return [
      '-map', label,
      '-c:v', 'libx264',
      '-preset', r.spec.preset ?? 'veryfast',
      '-tune', 'zerolatency', //            no B-frames or lookahead: frames leave the encoder at once
      '-profile:v', 'main',
      '-pix_fmt', 'yuv420p', //             what every browser decodes
      '-b:v', `${kbps}k`,
      '-maxrate', `${maxrate}k`,
      '-bufsize', `${bufsize}k`,
      ...keyframeArgs(keyframes),
      '-sc_threshold', '0', //              no scene-cut keyframes (they would break alignment)
      // The frame rate for rate control: with the input's ms clock (-enc_time_base -1) this
      // libx264 wrapper would otherwise take 1000 fps from the time base and starve every frame.
      '-x264-params', `fps=${rateString(r.frameRate || 30)}`,
    ];
  },
};

/** NVENC's SDK 10 presets (p1 fastest … p7 best), from x264's names. */
const NVENC_P: Record<Preset, string> = {
  ultrafast: 'p1', superfast: 'p1', veryfast: 'p2', faster: 'p3', fast: 'p4', medium: 'p5', slow: 'p6', slower: 'p7', veryslow: 'p7',
};
const fastPreset = (p: Preset | undefined) => ['ultrafast', 'superfast', 'veryfast', undefined].includes(p);

const nvenc: EncoderArgs = {
  // GPU frames: NVDEC decodes straight into CUDA memory, so nothing crosses the bus twice.
  input: (s) => (s.frames === 'gpu' ? ['-hwaccel', 'cuda', '-hwaccel_output_format', 'cuda'] : []),
  upload: () => [],
  scale: (s, r) =>
    s.frames === 'gpu'
      ? [...fpsCap(r), `${s.scaler ?? 'scale_cuda'}=${r.width || -2}:${r.height}`]
      : [...fpsCap(r), `scale=${r.width || -2}:${r.height}`], // software scale; NVENC uploads the frames itself
  video: (s, r, label, keyframes) => {
    const { kbps, maxrate, bufsize } = rates(r);
    // Builds from ffmpeg 4.3 on have the p1..p7 presets and '-tune ll'; 4.1 has the low-latency presets instead.
    const preset = s.options.includes('tune')
      ? ['-preset', NVENC_P[r.spec.preset ?? 'veryfast'], '-tune', 'll'] // low-latency tuning
      : ['-preset', fastPreset(r.spec.preset) ? 'llhp' : 'llhq']; //        low-latency high-performance / high-quality
    return [
      '-map', label,
      '-c:v', 'h264_nvenc',
      ...preset,
      '-zerolatency', '1', //               no reordering delay
      '-delay', '0', //                     hand each frame out as soon as it is encoded
      '-bf', '0', //                        no B-frames: the copy rendition has none either, and they add latency
      '-rc', 'cbr', //                      constant bitrate: predictable parts for LL-HLS
      '-profile:v', 'main',
      ...(s.frames === 'gpu' ? [] : ['-pix_fmt', 'yuv420p']), // CUDA frames keep their own format
      '-b:v', `${kbps}k`,
      '-maxrate', `${maxrate}k`,
      '-bufsize', `${bufsize}k`,
      ...keyframeArgs(keyframes),
      '-forced-idr', '1', //                forced keyframes become IDR frames: every segment opens on a refresh
      '-no-scenecut', '1', //               no scene-cut keyframes (they would break alignment)
    ];
  },
};

const vaapi: EncoderArgs = {
  // Opens the render node and makes it the device hwupload uploads to.
  input: (s) => ['-vaapi_device', s.device ?? '/dev/dri/renderD128'],
  // Decoded in software (any source works), uploaded once as NV12, the surface format VAAPI encodes.
  upload: () => ['format=nv12', 'hwupload'],
  scale: (_s, r) => [...fpsCap(r), `scale_vaapi=w=${r.width || -2}:h=${r.height}`],
  video: (s, r, label, keyframes) => {
    const { kbps, bufsize } = rates(r);
    return [
      '-map', label,
      '-c:v', 'h264_vaapi',
      '-profile:v', 'main',
      // Constant bitrate. Builds before 4.2 have no '-rc_mode' and choose CBR when maxrate equals the bitrate.
      ...(s.options.includes('rc_mode') ? ['-rc_mode', 'CBR'] : []),
      '-b:v', `${kbps}k`,
      '-maxrate', `${kbps}k`,
      '-bufsize', `${bufsize}k`,
      '-bf', '0', //                        no B-frames (h264_vaapi uses 2 by default): lower latency
      ...keyframeArgs(keyframes), //        VAAPI has no scene-cut detection: only these keyframes
    ];
  },
};

/** QSV's presets, from x264's names (QSV has nothing faster than veryfast). */
const QSV_PRESET: Record<Preset, string> = {
  ultrafast: 'veryfast', superfast: 'veryfast', veryfast: 'veryfast', faster: 'faster', fast: 'fast', medium: 'medium', slow: 'slow', slower: 'slower', veryslow: 'veryslow',
};

const qsv: EncoderArgs = {
  // A QSV device derived from the VAAPI render node; hwupload uploads to it.
  input: (s) => ['-init_hw_device', `vaapi=va:${s.device ?? '/dev/dri/renderD128'}`, '-init_hw_device', 'qsv=qs@va', '-filter_hw_device', 'qs'],
  // Software decode, one upload; QSV's scaler needs a pool of extra surfaces to work ahead.
  upload: () => ['format=nv12', 'hwupload=extra_hw_frames=64'],
  scale: (s, r) => [...fpsCap(r), `${s.scaler === 'vpp_qsv' ? 'vpp_qsv' : 'scale_qsv'}=w=${r.width || -2}:h=${r.height}`],
  video: (s, r, label, keyframes) => {
    const { kbps, maxrate, bufsize } = rates(r);
    return [
      '-map', label,
      '-c:v', 'h264_qsv',
      '-preset', QSV_PRESET[r.spec.preset ?? 'veryfast'],
      '-profile:v', 'main',
      '-b:v', `${kbps}k`,
      '-maxrate', `${maxrate}k`,
      '-bufsize', `${bufsize}k`,
      '-look_ahead', '0', //                no lookahead: frames leave the encoder at once
      '-async_depth', '1', //               one frame in flight, not four
      '-bf', '0', //                        no B-frames: lower latency
      ...keyframeArgs(keyframes),
      '-idr_interval', '0', //              every I-frame is an IDR: segments open on a refresh
      ...(s.options.includes('forced_idr') ? ['-forced_idr', '1'] : []), // and forced ones too (builds from 4.2)
    ];
  },
};

export const ENCODER_ARGS: Record<H264Encoder, EncoderArgs> = {
  libx264,
  h264_nvenc: nvenc,
  h264_vaapi: vaapi,
  h264_qsv: qsv,
};

/**
 * The one-second test encode that proves an encoder works here, using the same
 * argument set as a live run (a test pattern in, nothing out).
 */
export function probeArgs(setup: EncoderSetup): string[] {
  const b = ENCODER_ARGS[setup.encoder];
  const r: PlannedRendition = { spec: { name: 'probe', height: 72, videoKbps: 200 }, width: 128, height: 72, fps: 0, frameRate: 30 };
  // CUDA frames come from NVDEC in a live run; a test pattern is uploaded instead.
  const cudaUpload = setup.encoder === 'h264_nvenc' && setup.frames === 'gpu';
  const input = cudaUpload ? ['-init_hw_device', 'cuda=cu', '-filter_hw_device', 'cu'] : b.input(setup);
  const upload = cudaUpload ? ['format=nv12', 'hwupload_cuda'] : b.upload(setup);
  return [
    '-hide_banner', '-nostdin', '-loglevel', 'error',
    ...input,
    '-f', 'lavfi', '-i', 'testsrc2=size=256x144:rate=30',
    '-t', '1',
    '-vf', [...upload, ...b.scale(setup, r)].join(','),
    ...b.video(setup, r, '0:v', 'source'),
    '-an', '-f', 'null', '-',
  ];
}
