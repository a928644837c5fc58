import { parseMediaUri, uris } from './media-uris';

describe('media URIs', () => {
  it('parses back every name it builds', () => {
    for (const n of [0, 1, 42, 999_999_999]) {
      expect(parseMediaUri(uris.init('a1b2c3', n))).toEqual({ kind: 'init', epoch: 'a1b2c3', n });
      expect(parseMediaUri(uris.segment('a1b2c3', n))).toEqual({ kind: 'segment', epoch: 'a1b2c3', n });
      expect(parseMediaUri(uris.part('a1b2c3', n))).toEqual({ kind: 'part', epoch: 'a1b2c3', n });
    }
  });

  it('rejects names it never builds', () => {
    for (const name of [
      'init-a1b2c3-0.m4s', // init is .mp4
      'seg-a1b2c3-3.mp4', // segments and parts are .m4s
      'part-a1b2c3-3.mp4',
      'seg-a1b2c3-007.m4s', // leading zeros: another name for segment 7
      'seg-A1B2C3-3.m4s',
      'seg--3.m4s',
      'seg-a1b2c3-1234567890.m4s',
      'seg-a1b2c3-3.m4s.map',
      'index.m3u8',
      '../seg-a1b2c3-3.m4s',
    ]) {
      expect([name, parseMediaUri(name)]).toEqual([name, undefined]);
    }
  });
});
