/**
 * A light LL-HLS viewer for benchmarks: one rendition, a blocking reload for
 * the next part (hls.js's `_HLS_msn`/`_HLS_part` directives), then each new
 * part once, as hls.js does, over a keep-alive connection. It records when
 * each part's bytes had fully arrived, in epoch ms (comparable across the
 * bench's processes on one machine).
 */
import http from 'node:http';

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

/** GET over `agent`; resolves with the status and body (the body is drained either way). */
function get(url: URL, agent: http.Agent, localAddress?: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, localAddress }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(15_000, () => req.destroy(new Error('timeout')));
  });
}

export class LightViewer {
  /** Part URI → when its bytes had fully arrived (epoch ms). */
  readonly arrivals = new Map<string, number>();
  errors = 0;
  private running = true;
  private done: Promise<void> = Promise.resolve();
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

  /** `localAddress`: a loopback address to connect from (127.0.0.0/8), so that viewers are spread over addresses. */
  constructor(
    private readonly playlistUrl: string,
    private readonly localAddress?: string,
  ) {}

  start(): void {
    this.done = (async () => {
      let query = '';
      while (this.running) {
        try {
          const res = await get(new URL(this.playlistUrl + query), this.agent, this.localAddress);
          if (res.status !== 200) {
            this.errors++;
            query = '';
            await sleep(200);
            continue;
          }
          const { parts, nextMsn, nextPart } = readPlaylist(res.body.toString('utf8'));
          for (const uri of parts.slice(-3)) {
            if (this.arrivals.has(uri) || !this.running) continue;
            const r = await get(new URL(uri, this.playlistUrl), this.agent, this.localAddress);
            if (r.status === 200) this.arrivals.set(uri, epochMs());
            else this.errors++;
          }
          query = `?_HLS_msn=${nextMsn}&_HLS_part=${nextPart}`;
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
    this.agent.destroy();
  }
}
