import { renderVodMedia, renderVodMultivariant } from './vod-playlist';
import type { RecordedSegment } from '../storage/recording-store';

const seg = (msn: number, extra: Partial<RecordedSegment> = {}): RecordedSegment => ({
  rendition: 'source', msn, initId: 0, duration: 1.001, programDateTime: Date.UTC(2026, 11, 2, 10, 0, msn), discontinuity: false, bytes: 1000, ...extra,
});

describe('renderVodMedia', () => {
  it('writes a finished recording as VOD with ENDLIST, a PROGRAM-DATE-TIME per segment, and a discontinuity with a new map on a reconnect', () => {
    const text = renderVodMedia([seg(3), seg(4, { duration: 2.4 }), seg(7, { initId: 1, discontinuity: true })], true);
    expect(text).toBe(
      [
        '#EXTM3U',
        '#EXT-X-VERSION:7',
        '#EXT-X-TARGETDURATION:2',
        '#EXT-X-PLAYLIST-TYPE:VOD',
        '#EXT-X-MEDIA-SEQUENCE:3',
        '#EXT-X-INDEPENDENT-SEGMENTS',
        '#EXT-X-MAP:URI="init-0.mp4"',
        '#EXT-X-PROGRAM-DATE-TIME:2026-12-02T10:00:03.000Z',
        '#EXTINF:1.00100,',
        'seg-3.m4s',
        '#EXT-X-PROGRAM-DATE-TIME:2026-12-02T10:00:04.000Z',
        '#EXTINF:2.40000,',
        'seg-4.m4s',
        '#EXT-X-DISCONTINUITY',
        '#EXT-X-MAP:URI="init-1.mp4"',
        '#EXT-X-PROGRAM-DATE-TIME:2026-12-02T10:00:07.000Z',
        '#EXTINF:1.00100,',
        'seg-7.m4s',
        '#EXT-X-ENDLIST',
        '',
      ].join('\n'),
    );
  });

  it('writes a recording still on air as EVENT, without ENDLIST', () => {
    const text = renderVodMedia([seg(0)], false);
    expect(text).toContain('#EXT-X-PLAYLIST-TYPE:EVENT');
    expect(text).not.toContain('ENDLIST');
  });

  it('maps file names for a local playlist (export)', () => {
    expect(renderVodMedia([seg(0)], true, (f) => `/r/${f}`)).toContain('\n/r/seg-0.m4s\n');
  });
});

describe('renderVodMultivariant', () => {
  it('lists recorded renditions highest first with measured bandwidth, resolution and codecs', () => {
    const text = renderVodMultivariant([
      { name: '360p', width: 640, height: 360, codecs: ['avc1.64001e', 'mp4a.40.2'], duration: 10, bytes: 1_000_000, segments: 10, peakBitrate: 900_000 },
      { name: 'source', width: 1280, height: 720, codecs: ['avc1.64001f', 'mp4a.40.2'], duration: 10, bytes: 3_000_000, segments: 10, peakBitrate: 2_600_000 },
      { name: 'empty', width: 0, height: 0, codecs: [], duration: 0, bytes: 10, segments: 0, peakBitrate: 0 },
    ]);
    expect(text.split('\n')).toEqual([
      '#EXTM3U',
      '#EXT-X-VERSION:7',
      '#EXT-X-INDEPENDENT-SEGMENTS',
      '#EXT-X-STREAM-INF:BANDWIDTH=2600000,AVERAGE-BANDWIDTH=2400000,RESOLUTION=1280x720,CODECS="avc1.64001f,mp4a.40.2",CLOSED-CAPTIONS=NONE,STABLE-VARIANT-ID="source"',
      'source/index.m3u8',
      '#EXT-X-STREAM-INF:BANDWIDTH=900000,AVERAGE-BANDWIDTH=800000,RESOLUTION=640x360,CODECS="avc1.64001e,mp4a.40.2",CLOSED-CAPTIONS=NONE,STABLE-VARIANT-ID="360p"',
      '360p/index.m3u8',
      '',
    ]);
  });
});
