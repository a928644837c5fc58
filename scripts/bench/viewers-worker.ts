/**
 * The viewers bench's load generator, in its own process (forked by
 * bench-viewers.ts): `count` light LL-HLS viewers on one playlist, started
 * over `rampSeconds`, spread over loopback addresses; after `warmupSeconds`
 * the arrivals recorded so far are dropped, and after `seconds` more each
 * viewer's part arrivals are sent back.
 */
import { loopbackAddresses } from './abuse-traffic';
import { epochMs, LightViewer } from './ll-hls-viewer';

export interface ViewersWorkerRequest {
  type: 'start';
  playlistUrl: string;
  count: number;
  /** This worker's first address index (workers use disjoint addresses). */
  addressOffset: number;
  addresses: number;
  rampSeconds: number;
  warmupSeconds: number;
  seconds: number;
}

export interface ViewersWorkerReply {
  type: 'done';
  /** Per viewer: [part URI, arrival epoch ms] within the measured window. */
  arrivals: Array<Array<[string, number]>>;
  errors: number;
  measuredFrom: number;
  measuredTo: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

process.on('message', (msg: ViewersWorkerRequest) => {
  if (msg.type !== 'start') return;
  void (async () => {
    const addrs = loopbackAddresses(msg.addressOffset + msg.addresses).slice(msg.addressOffset);
    const viewers = Array.from({ length: msg.count }, (_, i) => new LightViewer(msg.playlistUrl, addrs[i % addrs.length]));
    const gap = (msg.rampSeconds * 1000) / Math.max(1, msg.count);
    for (const v of viewers) {
      v.start();
      if (gap >= 1) await sleep(gap);
    }
    await sleep(msg.warmupSeconds * 1000);
    for (const v of viewers) v.arrivals.clear();
    const measuredFrom = epochMs();
    await sleep(msg.seconds * 1000);
    const measuredTo = epochMs();
    const arrivals = viewers.map((v) => [...v.arrivals].filter(([, t]) => t <= measuredTo));
    const errors = viewers.reduce((a, v) => a + v.errors, 0);
    await Promise.all(viewers.map((v) => v.stop()));
    const reply: ViewersWorkerReply = { type: 'done', arrivals, errors, measuredFrom, measuredTo };
    process.send?.(reply, () => process.exit(0));
  })();
});
