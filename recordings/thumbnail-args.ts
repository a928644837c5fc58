/**
 * The ffmpeg command that turns one recorded segment (its init segment and the
 * segment, concatenated on stdin: one fMP4 stream) into one JPEG on stdout:
 * pure, each flag with its reason, like export-args.ts.
 */
export function thumbnailArgs(offsetSeconds: number, width: number): string[] {
  return [
    '-hide_banner',
    '-nostdin', // stdin is the media, never the terminal
    '-loglevel', 'error', // only what went wrong reaches the log
    '-f', 'mp4', // init + segment as they were served live: fragmented MP4
    '-i', 'pipe:0',
    // After -i: decode from the segment's keyframe and drop frames up to this point (a pipe cannot be seeked).
    '-ss', offsetSeconds.toFixed(3),
    '-map', '0:v:0', // the picture only
    '-frames:v', '1', // one frame
    '-vf', `scale=${width}:-2`, // that wide, the height keeping the aspect ratio (even, as encoders like)
    '-q:v', '4', // JPEG quality (2 best … 31 worst): small, still sharp at thumbnail size
    '-f', 'image2pipe', '-c:v', 'mjpeg', // one JPEG
    'pipe:1',
  ];
}
