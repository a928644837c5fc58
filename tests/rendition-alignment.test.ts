/**
 * Renditions aligned to the sample, box by box, for every built-in profile:
 * a real ffmpeg RTMP publisher → node-media-server → our ffmpeg ladder → the
 * packager → HTTP. For every media sequence number that every rendition holds,
 * the segment's first moof starts at the same media time (tfdt, after timescale
 * conversion) in every rendition — video exactly, audio within one AAC frame —
 * and so does each of its parts; and the segment carries the same
 * PROGRAM-DATE-TIME everywhere.
 */
import { BUILTIN_PROFILES } from '../transcoder/profiles';
import { initTracks, moofStarts, type InitTrack } from './helpers/mp4-timing';
import { getText, publish, startLiveroom, until, type Harness, type Publisher } from './helpers/liveroom-harness';
import { parseMedia, parseMultivariant, type ParsedMedia } from './helpers/m3u8';

jest.setTimeout(240_000);

/** One AAC frame at 48 kHz. */
const AUDIO_FRAME = 1024 / 48_000;
/** Float noise after dividing by the timescale. */
const SAME = 1e-6;

async function bytes(url: string): Promise<Buffer> {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}

describe('renditions aligned to the sample', () => {
  let h: Harness;
  let pub: Publisher | undefined;

  beforeAll(async () => {
    h = await startLiveroom();
  });
  afterAll(async () => {
    await pub?.stop();
    await h?.stop();
  });

  it.each(BUILTIN_PROFILES.map((p) => [p.name, p.renditions.length]))('%s: every segment and part starts at the same tfdt and PDT in every rendition', async (profile, count) => {
    const channel = `al-${profile}`;
    await h.room.channels!.create(channel);
    await h.room.channels!.setProfile(channel, profile);
    const { key } = (await h.room.keys!.create(channel, 'test'));
    const base = `${h.base}/hls/${channel}`;
    pub = publish(`${h.rtmp}/${key}`);

    const variants = await until(async () => {
      const r = await getText(`${base}/master.m3u8`);
      return r.status === 200 && parseMultivariant(r.text);
    }, 40_000, `${profile}: master playlist`);
    expect(variants).toHaveLength(count);
    // Variant URIs are <broadcast>/<rendition>/index.m3u8.
    const names = variants.map((v) => v.uri.split('/')[1]);
    const dir = `${base}/${variants[0].uri.split('/')[0]}`;

    // Every rendition with at least four complete segments.
    const lists = await until(async () => {
      const out: Record<string, ParsedMedia> = {};
      for (const n of names) {
        const r = await getText(`${dir}/${n}/index.m3u8`);
        if (r.status !== 200) return false;
        out[n] = parseMedia(r.text);
        if (out[n].segments.length < 4) return false;
      }
      return out;
    }, 60_000, `${profile}: four segments in every rendition`);
    await pub.stop();
    pub = undefined;

    const inits: Record<string, InitTrack[]> = {};
    for (const n of names) inits[n] = initTracks(await bytes(`${dir}/${n}/${lists[n].segments[0].map}`));
    for (const n of names) expect(inits[n].map((t) => t.kind).sort()).toEqual(['soun', 'vide']);

    const msns = lists[names[0]].segments.map((s) => s.msn).filter((m) => names.every((n) => lists[n].segments.some((s) => s.msn === m)));
    expect(msns.length).toBeGreaterThanOrEqual(3);
    let partsCompared = 0;
    for (const msn of msns) {
      const segs = names.map((n) => lists[n].segments.find((s) => s.msn === msn)!);
      // The same PROGRAM-DATE-TIME.
      for (const s of segs) expect({ msn, pdt: s.pdt }).toEqual({ msn, pdt: segs[0].pdt });
      // The same media time at the first moof, per track.
      const starts = await Promise.all(names.map(async (n, i) => moofStarts(await bytes(`${dir}/${n}/${segs[i].uri}`), inits[n])[0]));
      for (let i = 1; i < names.length; i++) {
        expect({ msn, rendition: names[i], video: Math.abs(starts[i].vide - starts[0].vide) < SAME }).toEqual({ msn, rendition: names[i], video: true });
        expect(Math.abs(starts[i].soun - starts[0].soun)).toBeLessThan(AUDIO_FRAME);
      }
      // Its parts too, where every rendition still lists them.
      if (segs.every((s) => s.parts.length > 0)) {
        expect(segs.map((s) => s.parts.length)).toEqual(segs.map(() => segs[0].parts.length));
        for (let p = 0; p < segs[0].parts.length; p++) {
          const partStarts = await Promise.all(names.map(async (n, i) => moofStarts(await bytes(`${dir}/${n}/${segs[i].parts[p].uri}`), inits[n])[0]));
          for (let i = 1; i < names.length; i++) {
            expect({ msn, part: p, video: Math.abs(partStarts[i].vide - partStarts[0].vide) < SAME }).toEqual({ msn, part: p, video: true });
            expect(Math.abs(partStarts[i].soun - partStarts[0].soun)).toBeLessThan(AUDIO_FRAME);
          }
          partsCompared++;
        }
      }
    }
    if (names.length > 1) expect(partsCompared).toBeGreaterThan(0);
  });
});
