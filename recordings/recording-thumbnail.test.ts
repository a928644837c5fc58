import type { RecordedSegment } from '../storage/recording-store';
import { middleOf } from './recording-thumbnail';
import { thumbnailArgs } from './thumbnail-args';

const seg = (msn: number, duration: number): RecordedSegment => ({ rendition: 'source', msn, initId: 0, duration, programDateTime: msn * 1000, discontinuity: false, bytes: 1 });

describe('middleOf', () => {
  it('finds the segment holding the middle and the offset into it', () => {
    expect(middleOf([seg(0, 2), seg(1, 2), seg(2, 2)])).toEqual({ segment: seg(1, 2), offset: 1 });
    expect(middleOf([seg(0, 4), seg(1, 1)])).toEqual({ segment: seg(0, 4), offset: 2.5 });
  });
  it('takes the next segment when the middle falls on a boundary, never a point past a segment\'s last frame', () => {
    expect(middleOf([seg(0, 1), seg(1, 1), seg(2, 1), seg(3, 1)])).toEqual({ segment: seg(2, 1), offset: 0 });
    expect(middleOf([seg(0, 1)])!.offset).toBeCloseTo(0.5);
    expect(middleOf([seg(0, 0.05)])).toEqual({ segment: seg(0, 0.05), offset: 0 });
  });
  it('has nothing for no segments', () => {
    expect(middleOf([])).toBeUndefined();
  });
});

describe('thumbnailArgs', () => {
  it('decodes fMP4 from stdin, drops frames up to the offset and writes one scaled JPEG to stdout', () => {
    expect(thumbnailArgs({ offsetSeconds: 1.23456 }, 320)).toEqual([
      '-hide_banner', '-nostdin', '-loglevel', 'error', '-f', 'mp4', '-i', 'pipe:0', '-ss', '1.235', '-map', '0:v:0', '-frames:v', '1',
      '-vf', 'scale=320:-2', '-q:v', '4', '-f', 'image2pipe', '-c:v', 'mjpeg', 'pipe:1',
    ]);
  });
  it('for the live thumbnail, decodes only keyframes and takes the first', () => {
    expect(thumbnailArgs('keyframe', 640)).toEqual([
      '-hide_banner', '-nostdin', '-loglevel', 'error', '-skip_frame', 'nokey', '-f', 'mp4', '-i', 'pipe:0', '-map', '0:v:0', '-frames:v', '1',
      '-vf', 'scale=640:-2', '-q:v', '4', '-f', 'image2pipe', '-c:v', 'mjpeg', 'pipe:1',
    ]);
  });
});
