/**
 * A publisher's reconnect, through the real parts: a real ffmpeg publisher is
 * killed (its RTMP connection drops, as when a network path dies) and a new one
 * publishes with the same key. Within the grace the same media playlists go on
 * after EXT-X-DISCONTINUITY and never get ENDLIST; past it they end, and the
 * next publish gets new media URIs under the same multivariant URL.
 */
import { getText, publish, renditionUrl, startLiveroom, STREAM_KEY, until, type Harness, type Publisher } from './helpers/liveroom-harness';
import { parseMedia, type ParsedMedia } from './helpers/m3u8';

jest.setTimeout(120_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('publisher reconnects', () => {
  let h: Harness | undefined;
  let pub: Publisher | undefined;

  afterEach(async () => {
    await pub?.stop();
    pub = undefined;
    await h?.stop();
    h = undefined;
  });

  const goLive = async (h: Harness) => {
    pub = publish(`${h.rtmp}/${STREAM_KEY}`);
    const url = await until(() => renditionUrl(h.base, 'source'), 30_000, 'the channel to go live');
    await until(async () => parseMedia((await getText(url)).text).segments.length >= 3, 30_000, 'three segments');
    return url;
  };

  /** Polls the playlist until `stop()`; remembers whether any response carried ENDLIST. */
  const watch = (url: string) => {
    let running = true;
    let sawEndlist = false;
    let last: ParsedMedia | undefined;
    const done = (async () => {
      while (running) {
        const r = await getText(url);
        if (r.status === 200) {
          last = parseMedia(r.text);
          sawEndlist ||= last.endlist;
        }
        await sleep(100);
      }
    })();
    return { stop: async () => ((running = false), await done, { sawEndlist, last: last! }) };
  };

  it('within the grace (default 15 s) the same playlist continues after a discontinuity, never ending', async () => {
    h = await startLiveroom({ hls: { reconnectGraceMs: 15_000 } });
    const url = await goLive(h);
    const poll = watch(url);
    await pub!.stop(); // SIGKILL: the RTMP connection drops
    await until(() => h!.room.broadcasts!.phase('live') === 'waiting', 10_000, 'the broadcast to wait for its publisher');

    // During the gap: the segment in progress is closed, no ENDLIST; the preload hint stays (the next part keeps
    // its id); a blocking reload is answered at once with the playlist as it stands.
    const gap = await until(async () => {
      const p = parseMedia((await getText(url)).text);
      return h!.room.packager!.channel('live')!.reconnecting && p.trailingParts.length === 0 && p;
    }, 10_000, 'the paused playlist');
    expect(gap.endlist).toBe(false);
    expect(gap.preloadHint).toMatch(/^part-/);
    const lastMsn = gap.segments.at(-1)!.msn;
    const asked = Date.now();
    const held = await getText(`${url}?_HLS_msn=${lastMsn + 1}&_HLS_part=0`);
    expect(Date.now() - asked).toBeLessThan(800); // not held: hls.js would time out and count an error
    expect(held.status).toBe(200);
    expect(parseMedia(held.text).endlist).toBe(false);
    expect(held.headers.get('cache-control')).toBe('public, max-age=1'); // not kept as the answer for that msn
    expect((await getText(`${h.base}/hls/live/master.m3u8`)).status).toBe(200);
    expect(await renditionUrl(h.base, 'source')).toBe(url);

    pub = publish(`${h.rtmp}/${STREAM_KEY}`);
    const back = await until(async () => {
      const p = parseMedia((await getText(url)).text);
      return p.segments.some((s) => s.msn > lastMsn + 1) && p;
    }, 30_000, 'segments of the returning publisher in the same playlist');
    const { sawEndlist } = await poll.stop();
    expect(sawEndlist).toBe(false);
    expect(back.endlist).toBe(false);
    const first = back.segments.find((s) => s.msn === lastMsn + 1)!;
    expect(first.discontinuity).toBe(true);
    expect(first.map).not.toBe(gap.segments.at(-1)!.map);
    const msns = back.segments.map((s) => s.msn);
    expect(msns).toEqual(msns.map((_, i) => msns[0] + i));
    expect(back.segments.filter((s) => s.discontinuity)).toHaveLength(1);
    expect(await renditionUrl(h.base, 'source')).toBe(url); // same broadcast, same URIs
  });

  it('past the grace the playlist ends, and the next publish gets new media URIs under the same multivariant URL', async () => {
    h = await startLiveroom({ hls: { reconnectGraceMs: 2000 } });
    const url = await goLive(h);
    const left = Date.now();
    await pub!.stop();
    const ended = await until(async () => {
      const p = parseMedia((await getText(url)).text);
      return p.endlist && p;
    }, 15_000, 'ENDLIST after the grace');
    expect(Date.now() - left).toBeGreaterThanOrEqual(1900);
    const endedText = (await getText(url)).text;

    pub = publish(`${h.rtmp}/${STREAM_KEY}`);
    const fresh = await until(async () => {
      const u = await renditionUrl(h!.base, 'source').catch(() => url);
      return u !== url && u;
    }, 30_000, 'a new broadcast');
    const p = await until(async () => {
      const pl = parseMedia((await getText(fresh)).text);
      return pl.segments.length >= 1 && pl;
    }, 30_000, 'segments of the new broadcast');
    expect(p.endlist).toBe(false);
    expect(p.segments.some((s) => s.discontinuity)).toBe(false);
    expect(fresh.split('/').at(-3)).not.toBe(url.split('/').at(-3)); // another broadcast id
    expect(ended.segments.length).toBeGreaterThan(0);
    expect((await getText(url)).text).toBe(endedText); // what has ENDLIST never changes
  });

  it('a kick ends at once, without waiting for the grace', async () => {
    h = await startLiveroom({ hls: { reconnectGraceMs: 60_000 } });
    const url = await goLive(h);
    expect(h.room.ingest!.kick('live')).toBe(true);
    await until(async () => parseMedia((await getText(url)).text).endlist, 10_000, 'ENDLIST after the kick');
  });
});
