/**
 * Third-party player pages for the players bench: stock hls.js, Shaka Player and
 * video.js (VHS), each as a creator would embed it on their own site, served from
 * a loopback origin of their own (cross-origin to the liveroom server, as in real
 * life). Each page exposes `window.__liveroom = { video, hls?, stats() }` for the
 * stamp reader (stamp-reader.ts).
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

export type ThirdPartyPlayer = 'hlsjs' | 'shaka' | 'vjs';

const PAGE_HEAD = '<!doctype html><meta charset="utf-8"><title>player</title><style>body{margin:0;background:#000}video,.video-js{width:1280px;height:720px}</style>';

/** Player script files, by URL path on the page server, from node_modules. */
function assets(root: string): Record<string, string> {
  const nm = path.join(root, 'node_modules');
  return {
    '/hls.min.js': path.join(nm, 'hls.js', 'dist', 'hls.min.js'),
    '/shaka-player.compiled.js': path.join(nm, 'shaka-player', 'dist', process.env.SHAKA_DEBUG ? 'shaka-player.compiled.debug.js' : 'shaka-player.compiled.js'),
    '/video.min.js': path.join(nm, 'video.js', 'dist', 'video.min.js'),
    '/video-js.min.css': path.join(nm, 'video.js', 'dist', 'video-js.min.css'),
  };
}

/** The page body for one player: the settings the README's "Players and CDNs" section gives. */
function page(player: ThirdPartyPlayer, src: string): string {
  const s = JSON.stringify(src);
  switch (player) {
    case 'hlsjs':
      // Stock hls.js: nothing but low-latency mode.
      return `${PAGE_HEAD}<video id="v" muted autoplay playsinline></video><script src="/hls.min.js"></script><script>
const video = document.getElementById('v');
const hls = new Hls({ lowLatencyMode: true });
window.__liveroom = { video, hls, stats: () => ({ level: hls.currentLevel, bw: Math.round(hls.bandwidthEstimate), latency: hls.latency }) };
hls.on(Hls.Events.MANIFEST_PARSED, () => video.play().catch(() => {}));
hls.loadSource(${s}); hls.attachMedia(video);
</script>`;
    case 'shaka':
      return `${PAGE_HEAD}<video id="v" muted autoplay playsinline></video><script src="/shaka-player.compiled.js"></script><script>
const video = document.getElementById('v');
shaka.polyfill.installAll();
const player = new shaka.Player();
window.__liveroom = { video, stats: () => { const st = player.getStats(); return { bw: Math.round(st.estimatedBandwidth), height: st.height, latency: st.liveLatency, stalls: st.stallsDetected }; } };
player.configure({ streaming: { lowLatencyMode: true } });
player.attach(video).then(() => player.load(${s})).then(() => video.play().catch(() => {})).catch((e) => console.error('shaka', e && e.code, e && e.message, e && e.stack));
</script>`;
    case 'vjs':
      // VHS on MSE even where the browser claims native HLS (overrideNative), so VHS is what is measured.
      return `${PAGE_HEAD}<link rel="stylesheet" href="/video-js.min.css"><video-js id="v" muted autoplay playsinline></video-js><script src="/video.min.js"></script><script>
const player = videojs('v', { autoplay: 'muted', muted: true, html5: { vhs: { overrideNative: true }, nativeAudioTracks: false, nativeVideoTracks: false } });
player.src({ src: ${s}, type: 'application/x-mpegURL' });
window.__liveroom = { get video() { return document.querySelector('video'); }, stats: () => { const vhs = player.tech(true).vhs; const m = vhs && vhs.playlists && vhs.playlists.media(); return { bw: vhs ? Math.round(vhs.systemBandwidth) : null, seg: vhs ? Math.round(vhs.bandwidth) : null, rendition: m && m.attributes ? String(m.attributes.RESOLUTION && m.attributes.RESOLUTION.height) : null }; } };
</script>`;
  }
}

/** A loopback HTTP server for the player pages: GET /<player>.html?src=<multivariant URL>. */
export class PlayerPages {
  private server?: http.Server;
  origin = '';

  constructor(private readonly root: string) {}

  async start(): Promise<void> {
    const files = assets(this.root);
    this.server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const m = /^\/(hlsjs|shaka|vjs)\.html$/.exec(url.pathname);
      if (m) {
        res.writeHead(200, { 'content-type': 'text/html', 'cache-control': 'no-store' });
        res.end(page(m[1] as ThirdPartyPlayer, url.searchParams.get('src') ?? ''));
        return;
      }
      const file = files[url.pathname];
      if (!file) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': file.endsWith('.css') ? 'text/css' : 'text/javascript', 'cache-control': 'max-age=3600' });
      fs.createReadStream(file).pipe(res);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  url(player: ThirdPartyPlayer, src: string): string {
    return `${this.origin}/${player}.html?src=${encodeURIComponent(src)}`;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = undefined;
  }
}
