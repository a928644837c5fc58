/**
 * The live pipeline through the real parts: an ffmpeg RTMP publisher →
 * node-media-server ingest → one ffmpeg transcoder → our LL-HLS packager →
 * HTTP over loopback.
 */
import net from 'node:net';
import { getText, publish, renditionUrl, startLiveroom, STREAM_KEY, until, type Harness, type Publisher } from './helpers/liveroom-harness';
import { parseMedia, parseMultivariant } from './helpers/m3u8';

jest.setTimeout(120_000);

describe('live pipeline: RTMP in, LL-HLS out', () => {
  let h: Harness;
  const media = async (rendition: string, query = '') => {
    const url = await renditionUrl(h.base, rendition).catch(() => undefined);
    if (!url) return { status: 404, text: '', headers: new Headers(), url: '', pl: undefined };
    const r = await getText(`${url}${query}`);
    return { ...r, url, pl: r.status === 200 ? parseMedia(r.text) : undefined };
  };
  /** A media file next to the source rendition's playlist. */
  const sourceFile = async (uri: string) => new URL(uri, await renditionUrl(h.base, 'source')).href;
  /** A publisher of its own for a describe block: live, with three segments of its own in the playlist. */
  const goLive = async (): Promise<Publisher> => {
    const earlier = (await media('source')).pl?.segments.at(-1)?.msn ?? -1;
    const pub = publish(`${h.rtmp}/${STREAM_KEY}`);
    await until(async () => {
      const r = await media('source');
      return r.pl && !r.pl.endlist && r.pl.segments.filter((s) => s.msn > earlier).length >= 3 && r;
    }, 30_000, 'a live stream with three segments');
    return pub;
  };
  /** Stops a block's publisher and waits until the channel is offline again, for the next block. */
  const endOf = async (pub: Publisher | undefined) => {
    if (!pub) return;
    await pub.stop();
    await until(async () => (await media('source')).pl?.endlist && h.room.transcoder!.live().length === 0, 10_000, 'the stream to end');
  };

  /** A describe block's own publisher: live before its first test, ended after its last. */
  const usePublisher = () => {
    const fixture: { pub?: Publisher } = {};
    beforeAll(async () => {
      fixture.pub = await goLive();
    });
    afterAll(async () => {
      await endOf(fixture.pub);
    });
    return fixture;
  };

  beforeAll(async () => {
    // The 503 case below freezes the publisher for a few seconds: keep it well inside the media timeout.
    h = await startLiveroom({ rtmp: { mediaTimeoutMs: 20_000 } });
  });
  afterAll(async () => {
    await h.stop();
  });

  describe('before anyone publishes', () => {
    it('rejects an unknown stream key before spawning anything', async () => {
      const rejected: string[] = [];
      h.room.bus.on('publish:rejected', (e) => rejected.push(e.reason));
      const bad = publish(`${h.rtmp}/not-the-key`, { seconds: 20 });
      const code = await bad.exited;
      expect(code).not.toBe(0);
      expect(rejected).toContain('unknown-key');
      expect(h.room.transcoder!.live()).toEqual([]);
      expect((await getText(`${h.base}/hls/live/master.m3u8`)).status).toBe(404);
      expect((await getText(`${h.base}/api/channels/live`)).text).toContain('"live":false');
    });

    it('survives a broken RTMP handshake and garbage bytes', async () => {
      const sock = net.connect(h.info.rtmpPort, '127.0.0.1');
      await new Promise((r) => sock.once('connect', r));
      sock.write(Buffer.alloc(4000, 0xff));
      sock.write(Buffer.from('\x03' + 'x'.repeat(1536) + 'garbage-after-handshake'.repeat(200)));
      await new Promise((r) => setTimeout(r, 300));
      sock.destroy();
      expect((await getText(`${h.base}/api/channels/live`)).status).toBe(200);
    });
  });

  describe('while a publisher is live (each test only reads)', () => {
    usePublisher();

    it('serves a multivariant playlist for the ladder once the publisher is live', async () => {
      const master = await until(async () => {
        const r = await getText(`${h.base}/hls/live/master.m3u8`);
        return r.status === 200 && r;
      }, 30_000, 'master playlist');
      expect(master.headers.get('content-type')).toMatch(/application\/vnd\.apple\.mpegurl/);
      expect(master.headers.get('access-control-allow-origin')).toBe('*');
      const variants = parseMultivariant(master.text);
      const broadcast = variants[0].uri.split('/')[0];
      expect(broadcast).toMatch(/^[0-9a-f]{8}$/);
      expect(variants.map((v) => v.uri)).toEqual([`${broadcast}/source/index.m3u8`, `${broadcast}/360p/index.m3u8`]);
      const [source, low] = variants;
      expect(source.attrs.RESOLUTION).toBe('854x480');
      expect(low.attrs.RESOLUTION).toBe('640x360');
      for (const v of variants) {
        expect(v.attrs.CODECS).toMatch(/^avc1\.[0-9a-f]{6},mp4a\.40\.2$/);
        expect(Number(v.attrs.BANDWIDTH)).toBeGreaterThan(50_000);
      }
      // The stream key never appears in anything public.
      expect(master.text).not.toContain(STREAM_KEY);
      const status = await until(async () => {
        const v = JSON.parse((await getText(`${h.base}/api/channels/live`)).text);
        return v.live && v;
      }, 10_000, 'the channel to be live');
      expect(status.renditions.map((r: { name: string }) => r.name)).toEqual(['source', '360p']);
      expect(JSON.stringify(status)).not.toContain(STREAM_KEY);
    });

    it('writes media playlists that keep the LL-HLS rules, aligned across renditions', async () => {
      // Wait for a few complete segments in both renditions.
      const { pl } = await until(async () => {
        const r = await media('source');
        return r.pl && r.pl.segments.length >= 3 && r;
      }, 30_000, 'three segments');
      const p = pl!;
      expect(p.version).toBeGreaterThanOrEqual(9);
      expect(p.partTarget).toBeGreaterThanOrEqual(0.2);
      expect(p.partTarget).toBeLessThanOrEqual(0.333);
      expect(p.serverControl['CAN-BLOCK-RELOAD']).toBe('YES');
      expect(Number(p.serverControl['PART-HOLD-BACK'])).toBeGreaterThanOrEqual(3 * p.partTarget - 1e-9);
      expect(Number(p.serverControl['HOLD-BACK'])).toBeGreaterThanOrEqual(3 * p.targetDuration);
      expect(Number(p.serverControl['CAN-SKIP-UNTIL'])).toBeGreaterThanOrEqual(6 * p.targetDuration);
      for (const s of p.segments) {
        expect(Math.round(s.duration)).toBeLessThanOrEqual(p.targetDuration);
        expect(s.map).toMatch(/^init-/);
        expect(s.pdt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        if (s.parts.length) expect(s.parts[0].independent).toBe(true);
      }
      const allParts = [...p.segments.flatMap((s) => s.parts), ...p.trailingParts];
      expect(allParts.length).toBeGreaterThan(3);
      for (const part of allParts) expect(part.duration).toBeLessThanOrEqual(p.partTarget + 1e-6);
      expect(p.preloadHint).toMatch(/^part-/);
      expect(p.reports.map((r) => r.URI)).toEqual(['../360p/index.m3u8']);
      expect(p.endlist).toBe(false);

      // Segment N covers the same instants in both renditions (PDT and duration agree within a frame or two).
      const low = (await media('360p')).pl!;
      const bySeq = new Map(low.segments.map((s) => [s.msn, s]));
      const common = p.segments.filter((s) => bySeq.has(s.msn));
      expect(common.length).toBeGreaterThanOrEqual(2);
      for (const s of common) {
        const o = bySeq.get(s.msn)!;
        expect(Math.abs(Date.parse(s.pdt!) - Date.parse(o.pdt!))).toBeLessThanOrEqual(70);
        expect(Math.abs(s.duration - o.duration)).toBeLessThanOrEqual(0.07);
      }
    });

    it('serves init, parts and segments as immutable fMP4', async () => {
      const p = (await media('source')).pl!;
      const seg = p.segments[p.segments.length - 1];
      for (const uri of [seg.map!, seg.uri, p.trailingParts[0]?.uri ?? seg.parts[0].uri]) {
        const res = await fetch(await sourceFile(uri));
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toBe('video/mp4');
        expect(res.headers.get('cache-control')).toMatch(/immutable/);
        const bytes = Buffer.from(await res.arrayBuffer());
        expect(bytes.toString('latin1', 4, 8)).toBe(uri.startsWith('init') ? 'ftyp' : 'moof');
      }
    });

    it('holds a blocking reload until the part exists, and the preload hint answers', async () => {
      const before = (await media('source')).pl!;
      const last = before.segments[before.segments.length - 1];
      // Trailing parts belong to the segment after the last complete one; with none, the next part opens it.
      const nextMsn = last.msn + 1;
      const nextPart = before.trailingParts.length;
      const hinted = before.preloadHint!;
      const hintReq = fetch(await sourceFile(hinted));
      const blocked = await media('source', `?_HLS_msn=${nextMsn}&_HLS_part=${nextPart}`);
      expect(blocked.status).toBe(200);
      expect(blocked.headers.get('cache-control')).toMatch(/max-age=\d+/);
      const after = blocked.pl!;
      // The response contains the part it waited for (or later), which the earlier playlist did not.
      const partsAfter = after.segments.find((s) => s.msn === nextMsn)?.parts.length ?? (after.trailingParts.length && after.segments[after.segments.length - 1].msn + 1 === nextMsn ? after.trailingParts.length : 0);
      const reachedLater = after.segments.some((s) => s.msn > nextMsn) || (after.segments.some((s) => s.msn === nextMsn) && after.trailingParts.length > 0);
      expect(partsAfter > nextPart || reachedLater).toBe(true);
      const hint = await hintReq;
      expect(hint.status).toBe(200);
      expect(Buffer.from(await hint.arrayBuffer()).toString('latin1', 4, 8)).toBe('moof');
    });

    it('answers delta updates with EXT-X-SKIP once the window is long enough', async () => {
      await until(async () => {
        const r = await media('source');
        return r.pl && r.pl.segments.reduce((a, s) => a + s.duration, 0) > 6 * r.pl.targetDuration + 1;
      }, 30_000, 'a window longer than CAN-SKIP-UNTIL');
      const delta = (await media('source', '?_HLS_skip=YES')).pl!;
      expect(delta.skipped).toBeGreaterThan(0);
      const v2 = await media('source', '?_HLS_skip=v2');
      expect(v2.status).toBe(200);
    });

    it('rejects malformed or impossible blocking requests with 400', async () => {
      const p = (await media('source')).pl!;
      const lastMsn = p.segments[p.segments.length - 1].msn + (p.trailingParts.length ? 1 : 0);
      const cases: [string, string][] = [
        [`?_HLS_msn=${lastMsn + 3}`, 'LR_HLS_MSN_TOO_FAR'],
        ['?_HLS_part=1', 'LR_HLS_PART_WITHOUT_MSN'],
        ['?_HLS_msn=abc', 'LR_HLS_BAD_QUERY'],
        ['?_HLS_msn=-1', 'LR_HLS_BAD_QUERY'],
        ['?_HLS_skip=maybe', 'LR_HLS_BAD_QUERY'],
      ];
      for (const [q, code] of cases) {
        const r = await getText(`${await renditionUrl(h.base, 'source')}${q}`);
        expect([q, r.status]).toEqual([q, 400]);
        expect(JSON.parse(r.text).error.code).toBe(code);
        expect(r.headers.get('cache-control')).toBe('no-store'); // an edge must never keep an error
      }
      expect((await getText(await sourceFile('../nope/index.m3u8'))).status).toBe(404);
      expect((await getText(await sourceFile('../../../etc/passwd'))).status).toBe(404);
      expect((await getText(await sourceFile('part-000000-1.m4s'))).status).toBe(404);
      // The layout before broadcasts had their own URIs, and a broadcast that does not exist.
      expect((await getText(`${h.base}/hls/live/source/index.m3u8`)).status).toBe(404);
      const gone = await getText(`${h.base}/hls/live/00000000/source/index.m3u8`);
      expect(gone.status).toBe(404);
      expect(JSON.parse(gone.text).error.code).toBe('LR_HLS_NO_BROADCAST');
    });
  });

  describe('a publisher that freezes', () => {
    const live = usePublisher();

    it('gives 503 when a blocked part does not arrive within three target durations', async () => {
      // Freeze the publisher: the socket stays open but no media flows.
      live.pub!.proc.kill('SIGSTOP');
      try {
        await new Promise((r) => setTimeout(r, 1500));
        const p = (await media('source')).pl!;
        const lastMsn = p.segments[p.segments.length - 1].msn;
        const r = await getText(`${await renditionUrl(h.base, 'source')}?_HLS_msn=${lastMsn + 2}`);
        expect(r.status).toBe(503);
        expect(JSON.parse(r.text).error.code).toBe('LR_HLS_TIMEOUT');
        expect(r.headers.get('cache-control')).toBe('no-store');
      } finally {
        live.pub!.proc.kill('SIGCONT');
      }
    });
  });

  describe('ffmpeg dying under a live publisher', () => {
    usePublisher();

    it('restarts ffmpeg when it dies while the publisher is live, with a discontinuity', async () => {
      const [job] = h.room.transcoder!.live();
      expect(job.pid).toBeGreaterThan(0);
      const before = (await media('source')).pl!;
      process.kill(job.pid!, 'SIGKILL');
      const after = await until(async () => {
        const r = await media('source');
        return r.pl && r.pl.segments.some((s) => s.discontinuity && s.msn > before.segments[before.segments.length - 1].msn) && r.pl;
      }, 30_000, 'a new ffmpeg run');
      expect(after.endlist).toBe(false);
      expect(h.room.transcoder!.live()[0].restarts).toBe(1);
      expect(h.room.transcoder!.live()[0].pid).not.toBe(job.pid);
    });
  });

  describe('the publisher leaving', () => {
    const live = usePublisher();

    it('ends the playlists at once when the publisher leaves, and stops ffmpeg', async () => {
      const before = (await media('source')).pl!;
      await live.pub!.stop();
      const ended = await until(async () => {
        const r = await media('source');
        return r.pl?.endlist && r.pl;
      }, 10_000, 'ENDLIST');
      expect(ended.preloadHint).toBeUndefined();
      expect(ended.segments.length).toBeGreaterThanOrEqual(before.segments.length - 1);
      await until(() => h.room.transcoder!.live().length === 0, 10_000, 'ffmpeg to exit');
      expect(JSON.parse((await getText(`${h.base}/api/channels/live`)).text).live).toBe(false);
    });
  });

  describe('the publisher coming back', () => {
    let pub: Publisher | undefined;
    beforeAll(async () => {
      await endOf(await goLive());
    });
    afterAll(async () => {
      await pub?.stop();
    });

    it('after the broadcast ended, a new publish is a new broadcast: new media URIs, the ended playlist never changes', async () => {
      const ended = await media('source');
      expect(ended.pl!.endlist).toBe(true);
      pub = publish(`${h.rtmp}/${STREAM_KEY}`);
      const back = await until(async () => {
        const r = await media('source');
        return r.url !== ended.url && r.pl && r.pl.segments.length >= 2 && r;
      }, 30_000, 'the new broadcast');
      expect(back.pl!.endlist).toBe(false);
      expect(back.pl!.segments.some((s) => s.discontinuity)).toBe(false);
      const msns = back.pl!.segments.map((s) => s.msn);
      expect(msns).toEqual(msns.map((_, i) => msns[0] + i));
      // The ended playlist is still served, byte for byte as it was, and may be cached.
      const again = await getText(ended.url);
      expect(again.status).toBe(200);
      expect(again.text).toBe(ended.text);
      expect(again.headers.get('cache-control')).toMatch(/max-age=\d+/);
      // A second publisher on the same key is refused while the first is live.
      const dup = publish(`${h.rtmp}/${STREAM_KEY}`, { seconds: 20 });
      expect(await dup.exited).not.toBe(0);
      expect((await media('source')).pl!.endlist).toBe(false);
    });
  });
});

describe('startup errors', () => {
  it('names a port that is already in use, in one line', async () => {
    const blocker = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const port = (blocker.address() as net.AddressInfo).port;
    await expect(startLiveroom({ rtmp: { port } })).rejects.toThrow(new RegExp(`RTMP port ${port} is already in use.*LIVEROOM_RTMP_PORT`));
    await expect(startLiveroom({ http: { port } })).rejects.toThrow(new RegExp(`HTTP port ${port} is already in use.*LIVEROOM_HTTP_PORT`));
    blocker.close();
  });
});
