/**
 * One load-generator process of the chat benchmark (scripts/bench-chat.ts forks
 * a few): holds a share of the receiving socket.io-client connections, records
 * the delivery latency of every bench message (now − the send time written in
 * its text) in a 1 ms histogram, and which messages each receiver got, so the
 * parent can count losses. Talks to the parent over the fork IPC channel.
 */
import crypto from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { io as ioClient, type Socket } from 'socket.io-client';
import type { ChatMessage, ClientToServerEvents, ServerToClientEvents } from '../../chat/chat-events';

type Client = Socket<ServerToClientEvents, ClientToServerEvents>;

/** Latency histogram buckets: 1 ms each, the last one holds everything ≥ its value. */
export const HISTOGRAM_MS = 30_000;

export type ToWorker =
  /** Brings this process's receivers up to `total`; `batch`: they ask for `messages` batches (auth.batch). */
  | {
      type: 'connect';
      url: string;
      channel: string;
      total: number;
      concurrency: number;
      batch: boolean;
      /** The raw generator (chat-raw-worker.ts): source addresses to spread connections over, and 1 in how many receivers checks every message. */
      localAddresses?: string[];
      sampleEvery?: number;
    }
  /** Closes every receiver. */
  | { type: 'reset' }
  /** A new step: forget the previous one; messages of this step have seq < maxSeq. */
  | { type: 'begin'; step: number; maxSeq: number; warmupSeq: number }
  /** Sending is over: wait (up to drainMs) until every receiver has every acknowledged seq, then report. */
  | { type: 'end'; step: number; acked: number[]; drainMs: number }
  | { type: 'exit' };

export type FromWorker =
  | { type: 'connected'; total: number; failed: number; errors: string[] }
  | { type: 'reset-done' }
  | { type: 'report'; report: WorkerReport };

export interface WorkerReport {
  step: number;
  receivers: number;
  /** Receivers no longer connected at the end of the step. */
  disconnected: number;
  /** Deliveries of the step's messages (any seq). */
  delivered: number;
  /** (receiver, acknowledged message) pairs never delivered. */
  lost: number;
  duplicates: number;
  /** Latency histogram of measured deliveries (seq ≥ warmupSeq): counts per 1 ms. */
  histogram: number[];
  /** ms from the end message until every receiver had everything (or the drain deadline). */
  drainedMs: number;
  /** This process's event-loop delay over the step (ms): high means the load generator itself was the bottleneck. */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  /** The raw generator: WebSocket frames with events received since the step began, and how many receivers checked every message. */
  frames?: number;
  sampledReceivers?: number;
  /** WebSocket close codes of receivers that had joined and were closed, and how many. */
  closeCodes?: Record<string, number>;
}

interface Receiver {
  socket: Client;
  got: Uint8Array;
}

const send = (m: FromWorker) => process.send?.(m);

function main(): void {
  const receivers: Receiver[] = [];
  let step = -1;
  let maxSeq = 0;
  let warmupSeq = 0;
  let histogram = new Uint32Array(HISTOGRAM_MS + 1);
  let delivered = 0;
  let duplicates = 0;
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();

  const onMessage = (r: Receiver) => (m: ChatMessage) => {
    const now = Date.now();
    // "b<step> <seq> <sentMs> …"
    const t = m.text;
    if (t.charCodeAt(0) !== 98 /* b */) return;
    const a = t.indexOf(' ');
    const b = t.indexOf(' ', a + 1);
    const c = t.indexOf(' ', b + 1);
    if (Number(t.slice(1, a)) !== step) return; // late from an earlier step
    const seq = Number(t.slice(a + 1, b));
    const sent = Number(t.slice(b + 1, c < 0 ? undefined : c));
    if (!(seq >= 0 && seq < maxSeq)) return;
    delivered++;
    if (r.got[seq]) {
      duplicates++;
      return;
    }
    r.got[seq] = 1;
    if (seq >= warmupSeq) histogram[Math.min(HISTOGRAM_MS, Math.max(0, now - sent))]++;
  };

  async function connect(url: string, channel: string, total: number, concurrency: number, batch: boolean): Promise<void> {
    const errors = new Set<string>();
    let failed = 0;
    let next = receivers.length;
    const one = () =>
      new Promise<void>((resolve) => {
        const socket: Client = ioClient(url, {
          path: '/socket.io',
          transports: ['websocket'], // no long-polling: the bench measures fan-out, not the upgrade dance
          forceNew: true, // one connection each (the default multiplexes sockets to one URL over one connection)
          reconnection: false,
          timeout: 30_000,
          auth: { channel, identity: crypto.randomBytes(16).toString('base64url'), name: `viewer${next}`, batch },
        });
        const r: Receiver = { socket, got: new Uint8Array(maxSeq) };
        const record = onMessage(r);
        socket.on('message', record);
        socket.on('messages', (batch) => {
          for (const m of batch) record(m);
        });
        socket.once('welcome', () => {
          receivers.push(r);
          resolve();
        });
        socket.once('connect_error', (err) => {
          failed++;
          errors.add(err.message);
          socket.close();
          resolve();
        });
      });
    const lanes: Promise<void>[] = [];
    for (let i = 0; i < concurrency; i++) {
      lanes.push(
        (async () => {
          while (next < total) {
            next++;
            await one();
          }
        })(),
      );
    }
    await Promise.all(lanes);
    send({ type: 'connected', total: receivers.length, failed, errors: [...errors].slice(0, 5) });
  }

  async function end(acked: number[], drainMs: number): Promise<void> {
    const started = Date.now();
    const missing = () => {
      let n = 0;
      for (const r of receivers) for (const seq of acked) if (!r.got[seq]) n++;
      return n;
    };
    let lost = missing();
    while (lost > 0 && Date.now() - started < drainMs) {
      await new Promise((r) => setTimeout(r, 50));
      lost = missing();
    }
    send({
      type: 'report',
      report: {
        step,
        receivers: receivers.length,
        disconnected: receivers.filter((r) => !r.socket.connected).length,
        delivered,
        lost,
        duplicates,
        histogram: Array.from(histogram),
        drainedMs: Date.now() - started,
        loopDelayP99Ms: loop.percentile(99) / 1e6,
        loopDelayMaxMs: loop.max / 1e6,
      },
    });
  }

  process.on('message', (m: ToWorker) => {
    switch (m.type) {
      case 'connect':
        void connect(m.url, m.channel, m.total, m.concurrency, m.batch);
        break;
      case 'reset':
        for (const r of receivers) r.socket.close();
        receivers.length = 0;
        send({ type: 'reset-done' });
        break;
      case 'begin':
        step = m.step;
        maxSeq = m.maxSeq;
        warmupSeq = m.warmupSeq;
        histogram = new Uint32Array(HISTOGRAM_MS + 1);
        delivered = 0;
        duplicates = 0;
        for (const r of receivers) r.got = new Uint8Array(maxSeq);
        loop.reset();
        break;
      case 'end':
        void end(m.acked, m.drainMs);
        break;
      case 'exit':
        for (const r of receivers) r.socket.close();
        process.disconnect?.();
        setTimeout(() => process.exit(0), 200).unref();
        break;
    }
  });
  // The parent went away (crashed, killed): do not linger with thousands of sockets.
  process.on('disconnect', () => process.exit(0));
}

if (require.main === module && process.send) main();
