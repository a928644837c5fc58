import { runFfmpeg } from './ffmpeg-run';
import { thumbnailArgs, type ThumbnailFrame } from './thumbnail-args';

export interface SegmentJpegRequest {
  ffmpegPath: string;
  /** The rendition's init segment (ftyp+moov) and one media segment (moof+mdat…): together one fMP4 stream. */
  init: Buffer;
  segment: Buffer;
  frame: ThumbnailFrame;
  /** Pixels wide; the height keeps the aspect ratio. */
  width: number;
}

/**
 * One JPEG from one fMP4 segment, by the bundled ffmpeg reading it on stdin:
 * the recordings' thumbnails (a frame mid-broadcast) and the live thumbnail
 * (the keyframe of the latest segment). Rejects when ffmpeg fails or wrote no JPEG.
 */
export async function segmentJpeg(req: SegmentJpegRequest): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await runFfmpeg({
    ffmpegPath: req.ffmpegPath,
    args: thumbnailArgs(req.frame, req.width),
    stdin: Buffer.concat([req.init, req.segment]),
    onStdout: (d) => chunks.push(d),
  });
  const jpeg = Buffer.concat(chunks);
  if (jpeg.length < 4 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8) throw new Error('ffmpeg wrote no JPEG');
  return jpeg;
}
