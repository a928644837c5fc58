/**
 * A light LL-HLS viewer for benchmarks: one rendition, a blocking reload for
 * the next part (hls.js's `_HLS_msn`/`_HLS_part`/`_HLS_skip` directives), then each new
 * part once, as hls.js does, over a keep-alive connection (scripts/bench/raw-http.ts:
 * a generator this light leaves the box's CPU to the server). It records when
 * each part's bytes had fully arrived, in epoch ms (comparable across the
 * bench's processes on one machine).
 */
import { RawHttpClient } from './raw-http';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Epoch ms with sub-ms precision, the same clock in every process. */
export const epochMs = (): number => performance.timeOrigin + performance.now();

/** The listed part URIs in order, and the msn/part a blocking reload asks for next. */
export function readPlaylist(text: string): { parts: string[]; nextMsn: number; nextPart: number } {
  const lines = text.split('\n');
  let msn = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(text)?.[1] ?? 0) + Number(/SKIPPED-SEGMENTS=(\d+)/.exec(text)?.[1] ?? 0);
  let partIndex = 0;
  const parts: string[] = [];
  for (const line of lines) {
    if (line.startsWith('#EXT-X-PART:')) {
      parts.push(/URI="([^"]+)"/.exec(line)![1]);
      partIndex++;
    } else if (line && !line.startsWith('#')) {
      msn++;
      partIndex = 0;
    }
  }
  return { parts, nextMsn: msn, nextPart: partIndex };
}

export class LightViewer {
  /** Part URI → when its bytes had fully arrived (epoch ms). */
  readonly arrivals = new Map<string, number>();
  errors = 0;
  private running = true;
  private done: Promise<void> = Promise.resolve();
  private readonly client: RawHttpClient;
  /** The playlist's path and query, and its folder (where relative part URIs resolve). */
  private readonly path: string;
  private readonly folder: string;

  /** `localAddress`: a loopback address to connect from (127.0.0.0/8), so that viewers are spread over addresses. */
  constructor(
    private readonly playlistUrl: string,
    localAddress?: string,
  ) {
    const url = new URL(playlistUrl);
    this.client = new RawHttpClient(url.hostname, Number(url.port || 80), localAddress);
    this.path = url.pathname + url.search;
    this.folder = url.pathname.slice(0, url.pathname.lastIndexOf('/') + 1);
  }

  /** A part URI as a path on the same host (ours are relative file names). */
  private resolve(uri: string): string {
    if (!uri.includes('/')) return this.folder + uri;
    const u = new URL(uri, this.playlistUrl);
    return u.pathname + u.search;
  }

  start(): void {
    this.done = (async () => {
      let query = '';
      while (this.running) {
        try {
          const res = await this.client.get(this.path + query);
          if (res.status !== 200) {
            this.errors++;
            query = '';
            await sleep(200);
            continue;
          }
          const { parts, nextMsn, nextPart } = readPlaylist(res.body.toString('utf8'));
          for (const uri of parts.slice(-3)) {
            if (this.arrivals.has(uri) || !this.running) continue;
            const r = await this.client.get(this.resolve(uri));
            if (r.status === 200) this.arrivals.set(uri, epochMs());
            else this.errors++;
          }
          // Delta updates, as hls.js asks for them when the playlist offers CAN-SKIP-UNTIL.
          query = `?_HLS_msn=${nextMsn}&_HLS_part=${nextPart}&_HLS_skip=YES`;
        } catch {
          this.errors++;
          await sleep(200);
        }
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
    this.client.close();
  }
}
