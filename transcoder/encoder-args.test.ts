/**
 * Golden tests: the full ffmpeg argument array per encoder for one fixed plan
 * (a 720p60 source, the abr-3 ladder), so the hardware paths are exact on a
 * machine without the hardware. A change here is a change to what runs.
 */
import { buildFfmpegCommand, flattenCommand, planLadder } from './ffmpeg-args';
import { probeArgs, type EncoderSetup } from './encoder-args';
import { builtinProfile } from './profiles';

const source = { width: 1280, height: 720, frameRate: 60, videoCodec: 'h264', audioCodec: 'aac', videoKbps: 4000, audioKbps: 160 };
const ladder = planLadder(builtinProfile('abr-3')!, source).renditions;
const outputs = ['unix:/t/0.sock', 'unix:/t/1.sock', 'unix:/t/2.sock'];
const args = (encoder: EncoderSetup) => flattenCommand(buildFfmpegCommand({ ladder, source, outputs, partTarget: 0.2, encoder }));

const INPUT = ['-f', 'flv', '-flags', 'low_delay', '-analyzeduration', '500000', '-probesize', '500000', '-copyts', '-vsync', 'passthrough'];
const AUDIO_COPY = ['-map', '0:a:0?', '-c:a', 'copy'];
const MUX = [
  '-f', 'mp4', '-movflags', 'frag_keyframe+empty_moov+default_base_moof+frag_discont', '-use_editlist', '0',
  '-avoid_negative_ts', 'make_non_negative', '-frag_duration', '158333',
  '-video_track_timescale', '90000', '-max_muxing_queue_size', '1024', '-flush_packets', '1', '-muxdelay', '0',
];
const COPY_OUT = ['-map', '0:v:0', '-c:v', 'copy', ...AUDIO_COPY, ...MUX, 'unix:/t/0.sock'];
const KEYS = ['-force_key_frames', 'source', '-g', '600'];
/** Every encoded rendition: the encoder keeps the input's ms clock (renditions aligned to the sample). */
const TB = ['-enc_time_base:v', '-1'];
/** The 30 fps cap: keyframes always kept, otherwise a frame per 30 ms at least. */
const CAP = "select='gt(isnan(prev_selected_t)+key+gte(t-prev_selected_t,0.03),0)'";
const DEVICE = '/dev/dri/renderD128';

describe('the fixed plan', () => {
  it('is copy + 854x480 + 640x360, both capped at 30 fps', () => {
    expect(ladder.map((r) => [r.spec.name, r.width, r.height, r.fps, r.frameRate])).toEqual([['source', 1280, 720, 0, 60], ['480p', 854, 480, 30, 30], ['360p', 640, 360, 30, 30]]);
  });
});

describe('libx264', () => {
  it('builds the full argument list', () => {
    const x264 = (label: string, preset: string, b: number, max: number, buf: number) => [
      '-map', label, '-c:v', 'libx264', '-preset', preset, '-tune', 'zerolatency', '-profile:v', 'main', '-pix_fmt', 'yuv420p',
      '-b:v', `${b}k`, '-maxrate', `${max}k`, '-bufsize', `${buf}k`, ...KEYS, '-sc_threshold', '0', '-x264-params', 'fps=30', ...TB,
    ];
    expect(args({ encoder: 'libx264', frames: 'system', options: [] })).toEqual([
      ...INPUT, '-i', 'pipe:0',
      '-filter_complex', `[0:v]split=2[s1][s2];[s1]${CAP},scale=854:480[v1];[s2]${CAP},scale=640:360[v2]`,
      ...COPY_OUT,
      ...x264('[v1]', 'veryfast', 1200, 1284, 1800), ...AUDIO_COPY, ...MUX, 'unix:/t/1.sock',
      ...x264('[v2]', 'superfast', 700, 750, 1050), ...AUDIO_COPY, ...MUX, 'unix:/t/2.sock',
    ]);
  });
});

describe('h264_nvenc', () => {
  const nvenc = (label: string, preset: string[], b: number, max: number, buf: number, pixFmt: string[]) => [
    '-map', label, '-c:v', 'h264_nvenc', ...preset, '-zerolatency', '1', '-delay', '0', '-bf', '0', '-rc', 'cbr', '-profile:v', 'main', ...pixFmt,
    '-b:v', `${b}k`, '-maxrate', `${max}k`, '-bufsize', `${buf}k`, ...KEYS, '-forced-idr', '1', '-no-scenecut', '1', ...TB,
  ];

  it('ffmpeg 4.1 (low-latency presets), frames in system memory: software scale', () => {
    expect(args({ encoder: 'h264_nvenc', frames: 'system', options: ['preset', 'zerolatency', 'forced-idr'] })).toEqual([
      ...INPUT, '-i', 'pipe:0',
      '-filter_complex', `[0:v]split=2[s1][s2];[s1]${CAP},scale=854:480[v1];[s2]${CAP},scale=640:360[v2]`,
      ...COPY_OUT,
      ...nvenc('[v1]', ['-preset', 'llhp'], 1200, 1284, 1800, ['-pix_fmt', 'yuv420p']), ...AUDIO_COPY, ...MUX, 'unix:/t/1.sock',
      ...nvenc('[v2]', ['-preset', 'llhp'], 700, 750, 1050, ['-pix_fmt', 'yuv420p']), ...AUDIO_COPY, ...MUX, 'unix:/t/2.sock',
    ]);
  });

  it('newer builds (p1..p7, -tune ll), frames on the GPU: NVDEC decode and scale_cuda', () => {
    expect(args({ encoder: 'h264_nvenc', frames: 'gpu', scaler: 'scale_cuda', options: ['preset', 'tune', 'zerolatency'] })).toEqual([
      ...INPUT, '-hwaccel', 'cuda', '-hwaccel_output_format', 'cuda', '-i', 'pipe:0',
      '-filter_complex', `[0:v]split=2[s1][s2];[s1]${CAP},scale_cuda=854:480[v1];[s2]${CAP},scale_cuda=640:360[v2]`,
      ...COPY_OUT,
      ...nvenc('[v1]', ['-preset', 'p2', '-tune', 'll'], 1200, 1284, 1800, []), ...AUDIO_COPY, ...MUX, 'unix:/t/1.sock',
      ...nvenc('[v2]', ['-preset', 'p1', '-tune', 'll'], 700, 750, 1050, []), ...AUDIO_COPY, ...MUX, 'unix:/t/2.sock',
    ]);
  });

  it('scale_npp when that is the GPU scaler this build has', () => {
    const a = args({ encoder: 'h264_nvenc', frames: 'gpu', scaler: 'scale_npp', options: [] });
    expect(a[a.indexOf('-filter_complex') + 1]).toBe(`[0:v]split=2[s1][s2];[s1]${CAP},scale_npp=854:480[v1];[s2]${CAP},scale_npp=640:360[v2]`);
  });
});

describe('h264_vaapi', () => {
  const vaapi = (label: string, rcMode: string[], b: number, buf: number) => [
    '-map', label, '-c:v', 'h264_vaapi', '-profile:v', 'main', ...rcMode, '-b:v', `${b}k`, '-maxrate', `${b}k`, '-bufsize', `${buf}k`, '-bf', '0', ...KEYS, ...TB,
  ];
  const filter = `[0:v]format=nv12,hwupload,split=2[s1][s2];[s1]${CAP},scale_vaapi=w=854:h=480[v1];[s2]${CAP},scale_vaapi=w=640:h=360[v2]`;

  it('ffmpeg 4.1 (no -rc_mode: CBR from maxrate = bitrate): upload once, scale_vaapi', () => {
    expect(args({ encoder: 'h264_vaapi', frames: 'gpu', scaler: 'scale_vaapi', device: DEVICE, options: ['low_power', 'qp', 'quality'] })).toEqual([
      ...INPUT, '-vaapi_device', DEVICE, '-i', 'pipe:0',
      '-filter_complex', filter,
      ...COPY_OUT,
      ...vaapi('[v1]', [], 1200, 1800), ...AUDIO_COPY, ...MUX, 'unix:/t/1.sock',
      ...vaapi('[v2]', [], 700, 1050), ...AUDIO_COPY, ...MUX, 'unix:/t/2.sock',
    ]);
  });

  it('newer builds: -rc_mode CBR', () => {
    expect(args({ encoder: 'h264_vaapi', frames: 'gpu', scaler: 'scale_vaapi', device: '/dev/dri/renderD129', options: ['rc_mode', 'low_power'] })).toEqual([
      ...INPUT, '-vaapi_device', '/dev/dri/renderD129', '-i', 'pipe:0',
      '-filter_complex', filter,
      ...COPY_OUT,
      ...vaapi('[v1]', ['-rc_mode', 'CBR'], 1200, 1800), ...AUDIO_COPY, ...MUX, 'unix:/t/1.sock',
      ...vaapi('[v2]', ['-rc_mode', 'CBR'], 700, 1050), ...AUDIO_COPY, ...MUX, 'unix:/t/2.sock',
    ]);
  });
});

describe('h264_qsv', () => {
  const qsv = (label: string, b: number, max: number, buf: number, forcedIdr: string[]) => [
    '-map', label, '-c:v', 'h264_qsv', '-preset', 'veryfast', '-profile:v', 'main', '-b:v', `${b}k`, '-maxrate', `${max}k`, '-bufsize', `${buf}k`,
    '-look_ahead', '0', '-async_depth', '1', '-bf', '0', ...KEYS, '-idr_interval', '0', ...forcedIdr, ...TB,
  ];
  const HW = ['-init_hw_device', `vaapi=va:${DEVICE}`, '-init_hw_device', 'qsv=qs@va', '-filter_hw_device', 'qs'];

  it('scale_qsv, forced IDR where the build has it', () => {
    expect(args({ encoder: 'h264_qsv', frames: 'gpu', scaler: 'scale_qsv', device: DEVICE, options: ['look_ahead', 'forced_idr'] })).toEqual([
      ...INPUT, ...HW, '-i', 'pipe:0',
      '-filter_complex', `[0:v]format=nv12,hwupload=extra_hw_frames=64,split=2[s1][s2];[s1]${CAP},scale_qsv=w=854:h=480[v1];[s2]${CAP},scale_qsv=w=640:h=360[v2]`,
      ...COPY_OUT,
      ...qsv('[v1]', 1200, 1284, 1800, ['-forced_idr', '1']), ...AUDIO_COPY, ...MUX, 'unix:/t/1.sock',
      ...qsv('[v2]', 700, 750, 1050, ['-forced_idr', '1']), ...AUDIO_COPY, ...MUX, 'unix:/t/2.sock',
    ]);
  });

  it('vpp_qsv on builds without scale_qsv, and no -forced_idr before 4.2', () => {
    const a = args({ encoder: 'h264_qsv', frames: 'gpu', scaler: 'vpp_qsv', device: DEVICE, options: ['look_ahead'] });
    expect(a[a.indexOf('-filter_complex') + 1]).toBe(`[0:v]format=nv12,hwupload=extra_hw_frames=64,split=2[s1][s2];[s1]${CAP},vpp_qsv=w=854:h=480[v1];[s2]${CAP},vpp_qsv=w=640:h=360[v2]`);
    expect(a).not.toContain('-forced_idr');
  });
});

describe('probe test encodes use the same argument sets', () => {
  const TAIL = ['-an', '-f', 'null', '-'];
  const LAVFI = ['-f', 'lavfi', '-i', 'testsrc2=size=256x144:rate=30', '-t', '1'];
  const HEAD = ['-hide_banner', '-nostdin', '-loglevel', 'error'];

  it('libx264', () => {
    expect(probeArgs({ encoder: 'libx264', frames: 'system', options: [] })).toEqual([
      ...HEAD, ...LAVFI, '-vf', 'scale=128:72',
      '-map', '0:v', '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-profile:v', 'main', '-pix_fmt', 'yuv420p',
      '-b:v', '200k', '-maxrate', '214k', '-bufsize', '400k', ...KEYS, '-sc_threshold', '0', '-x264-params', 'fps=30', ...TAIL,
    ]);
  });

  it('h264_vaapi opens the render node and uploads', () => {
    expect(probeArgs({ encoder: 'h264_vaapi', frames: 'gpu', scaler: 'scale_vaapi', device: DEVICE, options: [] })).toEqual([
      ...HEAD, '-vaapi_device', DEVICE, ...LAVFI, '-vf', 'format=nv12,hwupload,scale_vaapi=w=128:h=72',
      '-map', '0:v', '-c:v', 'h264_vaapi', '-profile:v', 'main', '-b:v', '200k', '-maxrate', '200k', '-bufsize', '400k', '-bf', '0', ...KEYS, ...TAIL,
    ]);
  });

  it('h264_nvenc with GPU frames uploads the test pattern to CUDA', () => {
    const a = probeArgs({ encoder: 'h264_nvenc', frames: 'gpu', scaler: 'scale_cuda', options: [] });
    expect(a.slice(4, 8)).toEqual(['-init_hw_device', 'cuda=cu', '-filter_hw_device', 'cu']);
    expect(a[a.indexOf('-vf') + 1]).toBe('format=nv12,hwupload_cuda,scale_cuda=128:72');
  });

  it('h264_qsv', () => {
    const a = probeArgs({ encoder: 'h264_qsv', frames: 'gpu', scaler: 'scale_qsv', device: DEVICE, options: [] });
    expect(a[a.indexOf('-vf') + 1]).toBe('format=nv12,hwupload=extra_hw_frames=64,scale_qsv=w=128:h=72');
    expect(a).toContain('h264_qsv');
  });
});
