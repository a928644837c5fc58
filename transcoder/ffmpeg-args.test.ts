import { buildFfmpegCommand, flattenCommand, planLadder } from './ffmpeg-args';
import { builtinProfile, type Profile } from './profiles';

const src = (width: number, height: number, frameRate = 30, audioCodec = 'aac') => ({ width, height, frameRate, videoCodec: 'h264', audioCodec, videoKbps: 0, audioKbps: 0 });

describe('planLadder', () => {
  it('skips a rendition above the source height with a note', () => {
    const plan = planLadder(builtinProfile('abr-3')!, src(640, 360));
    expect(plan.renditions.map((r) => r.spec.name)).toEqual(['source', '360p']);
    expect(plan.notes).toEqual(["rendition '480p' skipped: 480p would upscale the 360p source"]);
  });

  it('keeps an explicit size as given, follows the aspect ratio otherwise (even widths)', () => {
    const profile: Profile = {
      name: 'sizes', description: '', encoder: 'auto',
      renditions: [{ name: 'square', height: 240, width: 240 }, { name: 'wide', height: 270 }, { name: 'huge', height: 200, width: 4000 }],
    };
    const plan = planLadder(profile, src(1920, 1080, 60));
    expect(plan.renditions.map((r) => [r.spec.name, r.width, r.height])).toEqual([['square', 240, 240], ['wide', 480, 270]]);
    expect(plan.notes[0]).toMatch(/'huge' skipped: 4000x200 would upscale the 1920x1080 source/);
  });

  it('caps the frame rate only when the source is faster', () => {
    const p = builtinProfile('default')!;
    expect(planLadder(p, src(1280, 720, 60)).renditions[1].fps).toBe(30);
    expect(planLadder(p, src(1280, 720, 30)).renditions[1].fps).toBe(0);
  });
});

describe('a source browsers cannot decode', () => {
  const withCodec = (videoCodec: string, videoProfile?: number) => ({ ...src(1920, 1080, 30), videoCodec, ...(videoProfile ? { videoProfile } : {}) });

  it.each([['hevc', undefined, 'HEVC'], ['av1', undefined, 'AV1'], ['h264', 110, 'H.264 High 10'], ['h264', 122, 'H.264 High 4:2:2']])(
    '%s (profile %s): the copy becomes an H.264 8-bit encode of the whole picture, with a note',
    (codec, profile, named) => {
      const plan = planLadder(builtinProfile('default')!, withCodec(codec as string, profile as number | undefined));
      const [top, low] = plan.renditions;
      expect([top.spec.name, top.spec.copy, top.width, top.height, top.spec.videoKbps]).toEqual(['source', undefined, 1920, 1080, 4500]);
      expect(low.spec.name).toBe('360p');
      expect(plan.notes).toEqual([`rendition 'source' encoded to H.264 8-bit instead of copied: the publisher sends ${named}, which ${codec === 'h264' ? 'browsers do not decode' : 'not every browser decodes'}`]);
      // passthrough too: never only the undecodable copy
      const only = planLadder(builtinProfile('passthrough')!, withCodec(codec as string, profile as number | undefined)).renditions;
      expect(only.map((r) => [r.spec.name, !!r.spec.copy])).toEqual([['source', false]]);
      const cmd = flattenCommand(buildFfmpegCommand({ ladder: only, source: withCodec(codec as string), outputs: ['o0'], partTarget: 0.2 }));
      expect(cmd).toEqual(expect.arrayContaining(['-c:v', 'libx264', '-profile:v', 'main', '-pix_fmt', 'yuv420p']));
    },
  );

  it('H.264 High (8-bit) and an unknown profile are copied as they are', () => {
    for (const profile of [100, 77, 66, undefined]) {
      const plan = planLadder(builtinProfile('default')!, withCodec('h264', profile));
      expect(plan.renditions[0].spec.copy).toBe(true);
      expect(plan.notes).toEqual([]);
    }
  });
});

describe('buildFfmpegCommand', () => {
  it('passthrough: no filter graph, no encoder', () => {
    const ladder = planLadder(builtinProfile('passthrough')!, src(1280, 720)).renditions;
    const cmd = buildFfmpegCommand({ ladder, source: src(1280, 720), outputs: ['o0'], partTarget: 0.2 });
    expect(cmd.filterComplex).toBeUndefined();
    expect(flattenCommand(cmd).slice(0, 17)).toEqual([
      '-f', 'flv', '-flags', 'low_delay', '-analyzeduration', '500000', '-probesize', '500000', '-copyts', '-vsync', 'passthrough',
      '-i', 'pipe:0', '-map', '0:v:0', '-c:v', 'copy',
    ]);
  });

  it('one encoded rendition: no split; keyframes every N seconds when the profile says so; audio re-encoded from MP3', () => {
    const profile: Profile = { name: 'one', description: '', encoder: 'libx264', keyframes: 2, renditions: [{ name: '360p', height: 360, audioKbps: 64 }] };
    const source = src(1280, 720, 30, 'mp3');
    const cmd = buildFfmpegCommand({ ladder: planLadder(profile, source).renditions, source, outputs: ['o0'], partTarget: 0.2, keyframes: profile.keyframes });
    expect(cmd.filterComplex).toBe('[0:v]scale=640:360[v0]');
    const out = cmd.outputs[0].options;
    expect(out.slice(out.indexOf('-force_key_frames'), out.indexOf('-force_key_frames') + 4)).toEqual(['-force_key_frames', 'expr:gte(t,n_forced*2)', '-g', '600']);
    expect(out).toEqual(expect.arrayContaining(['-c:a', 'aac', '-b:a', '64k']));
    expect(out).not.toContain('nobuffer');
  });
});
