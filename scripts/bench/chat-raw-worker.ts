/**
 * A light load generator for the chat benchmark: receivers that speak the
 * Socket.IO wire protocol themselves over a bare WebSocket (`ws`), so the
 * generator costs far less per delivery than socket.io-client and the server
 * can be measured with the generator on the same box.
 *
 * Engine.IO v4 / Socket.IO v5, text only: the server opens with `0{…}`, we
 * connect to the namespace with `40{auth}` (the auth the player sends), it
 * answers `40{…}` then `42["welcome",…]`; a ping `2` is answered `3`; events
 * are `42["name",…]`. A refusal is `44{…}`.
 *
 * Most receivers only count: frames, and the bench messages inside each frame
 * (occurrences of `"text":"b<step> ` in the raw bytes, never decoded). One in
 * `sampleEvery` parses every frame and checks every message: sequence
 * numbers (loss, duplicates) and latency from the send time the sender wrote
 * in the text. Connections are spread over several loopback source addresses
 * (127.0.0.x) so that no address runs out of ephemeral ports.
 *
 * Same IPC protocol as chat-load-worker.ts (the socket.io-client generator).
 */
import crypto from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import WebSocket from 'ws';
import type { FromWorker, ToWorker, WorkerReport } from './chat-load-worker';
import { HISTOGRAM_MS } from './chat-load-worker';

interface Receiver {
  ws: WebSocket;
  open: boolean;
  /** Frames received since the step began. */
  frames: number;
  /** Bench messages of this step counted in those frames. */
  count: number;
  /** Sampled receivers: which seqs arrived (1 byte each). */
  got: Uint8Array | undefined;
}

const send = (m: FromWorker) => process.send?.(m);

const PONG = '3'; // a text frame: a binary '3' is a message to Engine.IO, not a pong

function main(): void {
  const receivers: Receiver[] = [];
  let step = -1;
  let maxSeq = 0;
  let warmupSeq = 0;
  let histogram = new Uint32Array(HISTOGRAM_MS + 1);
  let delivered = 0;
  let duplicates = 0;
  /** `"text":"b<step> `: where a bench message of the current step starts, in a raw frame. */
  let marker = Buffer.from('"text":"b-1 ');
  /** Close codes of receivers that had joined, for the report. */
  const closes = new Map<number, number>();
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();

  const countIn = (data: Buffer): number => {
    let n = 0;
    let at = data.indexOf(marker, 0);
    while (at >= 0) {
      n++;
      at = data.indexOf(marker, at + marker.length);
    }
    return n;
  };

  /** A sampled receiver's check of one message's text "b<step> <seq> <sentMs> …". */
  const check = (r: Receiver, text: unknown, now: number) => {
    if (typeof text !== 'string' || text.charCodeAt(0) !== 98 /* b */) return;
    const a = text.indexOf(' ');
    const b = text.indexOf(' ', a + 1);
    const c = text.indexOf(' ', b + 1);
    if (Number(text.slice(1, a)) !== step) return;
    const seq = Number(text.slice(a + 1, b));
    const sent = Number(text.slice(b + 1, c < 0 ? undefined : c));
    if (!(seq >= 0 && seq < maxSeq) || !r.got) return;
    delivered++;
    if (r.got[seq]) {
      duplicates++;
      return;
    }
    r.got[seq] = 1;
    if (seq >= warmupSeq) histogram[Math.min(HISTOGRAM_MS, Math.max(0, now - sent))]++;
  };

  function connectOne(url: string, auth: object, localAddress: string, sampled: boolean): Promise<Receiver | string> {
    return new Promise((resolve) => {
      const wsUrl = `${url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`;
      const ws = new WebSocket(wsUrl, { perMessageDeflate: false, skipUTF8Validation: true, localAddress, handshakeTimeout: 30_000 });
      const r: Receiver = { ws, open: false, frames: 0, count: 0, got: sampled ? new Uint8Array(maxSeq) : undefined };
      let settled = false;
      const done = (v: Receiver | string) => {
        if (settled) return;
        settled = true;
        resolve(v);
      };
      ws.on('message', (data: Buffer) => {
        const t0 = data[0];
        if (t0 === 0x32 /* 2: ping */ && data.length === 1) {
          ws.send(PONG);
          return;
        }
        if (t0 === 0x34 /* 4: message */ && data[1] === 0x32 /* 2: event */) {
          if (!r.open) {
            // The first event after connecting is the welcome.
            r.open = true;
            done(r);
            return;
          }
          r.frames++;
          if (!r.got) {
            r.count += countIn(data);
            return;
          }
          const now = Date.now();
          let packet: unknown;
          try {
            packet = JSON.parse(data.toString('utf8', 2));
          } catch {
            return;
          }
          if (!Array.isArray(packet)) return;
          const [name, payload] = packet as [string, unknown];
          if (name === 'messages' && Array.isArray(payload)) {
            for (const m of payload) check(r, (m as { text?: unknown })?.text, now);
          } else if (name === 'message') {
            check(r, (payload as { text?: unknown })?.text, now);
          }
          return;
        }
        if (t0 === 0x30 /* 0: open */) {
          ws.send(`40${JSON.stringify(auth)}`);
          return;
        }
        if (t0 === 0x34 && data[1] === 0x34 /* 44: connect_error */) {
          done(data.toString('utf8', 2, 200));
          ws.close();
        }
      });
      ws.on('error', (err) => done(err.message));
      ws.on('close', (code: number) => {
        if (r.open) closes.set(code, (closes.get(code) ?? 0) + 1);
        r.open = false;
        done('closed before the welcome');
      });
    });
  }

  async function connect(m: Extract<ToWorker, { type: 'connect' }>): Promise<void> {
    const errors = new Set<string>();
    let failed = 0;
    let next = receivers.length;
    const addresses = m.localAddresses?.length ? m.localAddresses : ['127.0.0.1'];
    const sampleEvery = Math.max(1, m.sampleEvery ?? 50);
    const lanes: Promise<void>[] = [];
    for (let i = 0; i < m.concurrency; i++) {
      lanes.push(
        (async () => {
          while (next < m.total) {
            const index = next++;
            const auth = { channel: m.channel, identity: crypto.randomBytes(16).toString('base64url'), name: `viewer${index}`, batch: m.batch };
            const r = await connectOne(m.url, auth, addresses[index % addresses.length], index % sampleEvery === 0);
            if (typeof r === 'string') {
              failed++;
              errors.add(r);
            } else receivers.push(r);
          }
        })(),
      );
    }
    await Promise.all(lanes);
    send({ type: 'connected', total: receivers.length, failed, errors: [...errors].slice(0, 5) });
  }

  async function end(acked: number[], drainMs: number): Promise<void> {
    const started = Date.now();
    const expected = acked.length;
    const missing = () => {
      let n = 0;
      for (const r of receivers) {
        if (r.got) {
          for (const seq of acked) if (!r.got[seq]) n++;
        } else if (r.count < expected) n += expected - r.count;
      }
      return n;
    };
    let lost = missing();
    while (lost > 0 && Date.now() - started < drainMs) {
      await new Promise((res) => setTimeout(res, 50));
      lost = missing();
    }
    let frames = 0;
    let counted = 0;
    let sampled = 0;
    for (const r of receivers) {
      frames += r.frames;
      if (r.got) sampled++;
      else {
        counted += r.count;
        if (r.count > expected) duplicates += r.count - expected; // counters cannot tell which; the excess is a duplicate
      }
    }
    const report: WorkerReport = {
      step,
      receivers: receivers.length,
      disconnected: receivers.filter((r) => !r.open).length,
      delivered: delivered + counted,
      lost,
      duplicates,
      histogram: Array.from(histogram),
      drainedMs: Date.now() - started,
      loopDelayP99Ms: loop.percentile(99) / 1e6,
      loopDelayMaxMs: loop.max / 1e6,
      frames,
      sampledReceivers: sampled,
      closeCodes: Object.fromEntries(closes),
    };
    send({ type: 'report', report });
  }

  process.on('message', (m: ToWorker) => {
    switch (m.type) {
      case 'connect':
        void connect(m);
        break;
      case 'reset':
        for (const r of receivers) r.ws.terminate();
        receivers.length = 0;
        send({ type: 'reset-done' });
        break;
      case 'begin':
        step = m.step;
        maxSeq = m.maxSeq;
        warmupSeq = m.warmupSeq;
        marker = Buffer.from(`"text":"b${step} `);
        histogram = new Uint32Array(HISTOGRAM_MS + 1);
        delivered = 0;
        duplicates = 0;
        for (const r of receivers) {
          r.frames = 0;
          r.count = 0;
          if (r.got) r.got = new Uint8Array(maxSeq);
        }
        loop.reset();
        break;
      case 'end':
        void end(m.acked, m.drainMs);
        break;
      case 'exit':
        for (const r of receivers) r.ws.terminate();
        process.disconnect?.();
        setTimeout(() => process.exit(0), 200).unref();
        break;
    }
  });
  process.on('disconnect', () => process.exit(0));
}

if (require.main === module && process.send) main();
