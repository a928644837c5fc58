/**
 * The ffmpeg command that turns a recorded rendition into one progressive MP4
 * (moov first, for uploading elsewhere): pure, each flag with its reason, like
 * transcoder/ffmpeg-args.ts. No encode: the recorded H.264/AAC is copied.
 */
export function exportArgs(playlist: string, output: string): string[] {
  return [
    '-hide_banner',
    '-nostdin', // never reads the terminal (it runs under the server)
    '-loglevel', 'error', // only what went wrong reaches the log
    '-progress', 'pipe:1', // key=value progress lines on stdout (out_time_us): how far the remux is
    '-nostats',
    // The input is our own playlist of local files: the HLS demuxer may open files and nothing else.
    '-protocol_whitelist', 'file',
    '-f', 'hls',
    '-i', playlist,
    '-map', '0:v:0?', // the video track, when there is one
    '-map', '0:a:0?', // and the audio track
    '-c', 'copy', // a remux, not an encode
    '-movflags', '+faststart', // moov before mdat: plays while it downloads, what upload sites want
    '-f', 'mp4',
    '-y', output,
  ];
}
