/** Which frame of the segment: the one `offsetSeconds` in, or its first keyframe (decoding nothing else). */
export type ThumbnailFrame = { offsetSeconds: number } | 'keyframe';

/**
 * The ffmpeg command that turns one segment (its init segment and the
 * segment, concatenated on stdin: one fMP4 stream) into one JPEG on stdout:
 * pure, each flag with its reason, like export-args.ts.
 */
export function thumbnailArgs(frame: ThumbnailFrame, width: number): string[] {
  return [
    '-hide_banner',
    '-nostdin', // stdin is the media, never the terminal
    '-loglevel', 'error', // only what went wrong reaches the log
    // The live thumbnail: the decoder skips every frame but keyframes, so a segment costs one decoded picture.
    ...(frame === 'keyframe' ? ['-skip_frame', 'nokey'] : []),
    '-f', 'mp4', // init + segment as they were served live: fragmented MP4
    '-i', 'pipe:0',
    // After -i: decode from the segment's keyframe and drop frames up to this point (a pipe cannot be seeked).
    ...(frame === 'keyframe' ? [] : ['-ss', frame.offsetSeconds.toFixed(3)]),
    '-map', '0:v:0', // the picture only
    '-frames:v', '1', // one frame
    '-vf', `scale=${width}:-2`, // that wide, the height keeping the aspect ratio (even, as encoders like)
    '-q:v', '4', // JPEG quality (2 best … 31 worst): small, still sharp at thumbnail size
    '-f', 'image2pipe', '-c:v', 'mjpeg', // one JPEG
    'pipe:1',
  ];
}
