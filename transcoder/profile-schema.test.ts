import { profileProblems, validateProfile } from './profile-schema';
import { BUILTIN_PROFILES } from './profiles';

const base = { name: 'mine', renditions: [{ name: 'source', copy: true }, { name: '360p', height: 360, videoKbps: 800 }] };
const withRendition = (r: Record<string, unknown>) => ({ ...base, renditions: [...base.renditions, r] });
const problems = (input: unknown) => profileProblems(input).map((p) => `${p.field}: ${p.message}`);

describe('profile validation', () => {
  it('accepts every built-in profile and fills defaults', () => {
    for (const p of BUILTIN_PROFILES) expect(profileProblems(p)).toEqual([]);
    expect(validateProfile(base)).toMatchObject({ name: 'mine', description: '', encoder: 'auto', keyframes: 'source' });
  });

  it('names the field and says why', () => {
    expect(problems(withRendition({ name: '240p', height: 241 }))).toEqual(["renditions[2] (240p).height: (241) must be even: H.264 4:2:0 video needs even sizes"]);
    expect(problems(withRendition({ name: 'sq', height: 240, width: 321 }))).toEqual(["renditions[2] (sq).width: (321) must be even: H.264 4:2:0 video needs even sizes"]);
    expect(problems(withRendition({ name: 'x', height: 240, videoKbps: 99_999 }))).toEqual(['renditions[2] (x).videoKbps: must be at most 50000 kbit/s (video bitrate)']);
    expect(problems(withRendition({ name: 'x', height: 240, videoKbps: 20 }))).toEqual(['renditions[2] (x).videoKbps: must be at least 100 kbit/s (video bitrate)']);
    expect(problems(withRendition({ name: '360p', height: 240 }))[0]).toMatch(/^renditions\[2\] \(360p\)\.name: duplicate rendition name '360p' \(also renditions\[1\]\)/);
    expect(problems(withRendition({ name: 'again', copy: true }))[0]).toMatch(/^renditions\[2\] \(again\)\.copy: only one rendition can be 'copy'/);
    expect(problems({ ...base, encoder: 'h265_magic' })).toEqual(['encoder: unknown encoder "h265_magic": use auto, libx264, h264_nvenc, h264_vaapi, h264_qsv']);
    expect(problems({ ...base, name: 'Bad Name' })[0]).toMatch(/^name: must be lowercase letters/);
    expect(problems(withRendition({ name: 'x/y', height: 240 }))[0]).toMatch(/^renditions\[2\] \(x\/y\)\.name: must be lowercase/);
    expect(problems(withRendition({ name: 'x', height: 240, videoKbps: 1000, maxrateKbps: 900 }))).toEqual(["renditions[2] (x).maxrateKbps: (900) must not be below 'videoKbps' (1000)"]);
    expect(problems(withRendition({ name: 'x', height: 240, preset: 'ludicrous' }))[0]).toMatch(/^renditions\[2\] \(x\)\.preset: must be one of ultrafast/);
    expect(problems(withRendition({ name: 'x', height: 240, colour: 'red' }))).toEqual(["renditions[2] (x): unknown field 'colour'"]);
    expect(problems({ ...base, renditions: [{ name: 'source', copy: true, height: 360 }] })[0]).toMatch(/^renditions\[0\] \(source\)\.height: does not apply to a copy rendition/);
    expect(problems({ ...base, keyframes: 2 })[0]).toMatch(/^keyframes: \(2 s\) cannot be combined with a copy rendition/);
    expect(problems({ ...base, renditions: [] })).toEqual(['renditions: a profile needs at least one rendition']);
  });

  it('reports every problem at once, in one LR_PROFILE_INVALID error', () => {
    const input = { name: 'two', encoder: 'nope', renditions: [{ name: 'a', height: 301 }, { name: 'a', height: 240 }] };
    expect(() => validateProfile(input)).toThrow(/^invalid profile: 'encoder' unknown encoder "nope".*; 'renditions\[0\] \(a\)\.height' \(301\) must be even.*; 'renditions\[1\] \(a\)\.name' duplicate rendition name 'a'/);
    try {
      validateProfile(input);
    } catch (err) {
      expect(err).toMatchObject({ code: 'LR_PROFILE_INVALID', status: 400 });
    }
  });
});
