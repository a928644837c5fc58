/**
 * A small raw RTMP client for abuse tests and the abuse bench: the plain
 * handshake (C0/C1/C2), AMF0-encoded commands on chunk stream 3 (connect,
 * createStream, publish), nothing else. It is deliberately not a media
 * publisher (ffmpeg is): it sends what a scanner or an attacker would.
 */
import crypto from 'node:crypto';
import net from 'node:net';

const HANDSHAKE_SIZE = 1536;
const CHUNK_SIZE = 128; // the RTMP default; we never announce another
const TYPE_COMMAND_AMF0 = 20;

type Amf = number | string | boolean | null | { [key: string]: Amf };

/** AMF0 encoding of numbers, strings, booleans, null and plain objects (all RTMP commands need). */
export function amf0(value: Amf): Buffer {
  if (value === null) return Buffer.from([0x05]);
  if (typeof value === 'number') {
    const b = Buffer.alloc(9);
    b[0] = 0x00;
    b.writeDoubleBE(value, 1);
    return b;
  }
  if (typeof value === 'boolean') return Buffer.from([0x01, value ? 1 : 0]);
  if (typeof value === 'string') return Buffer.concat([Buffer.from([0x02]), amfKey(value)]);
  const parts: Buffer[] = [Buffer.from([0x03])];
  for (const [k, v] of Object.entries(value)) parts.push(amfKey(k), amf0(v));
  parts.push(Buffer.from([0x00, 0x00, 0x09]));
  return Buffer.concat(parts);
}

function amfKey(s: string): Buffer {
  const body = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(body.length);
  return Buffer.concat([len, body]);
}

/** One RTMP message as chunks: a type-0 header on chunk stream 3, then type-3 continuation headers. */
export function chunkMessage(payload: Buffer, opts: { type?: number; streamId?: number; cid?: number } = {}): Buffer {
  const cid = opts.cid ?? 3;
  const header = Buffer.alloc(12);
  header[0] = cid & 0x3f; // fmt 0
  header.writeUIntBE(0, 1, 3); // timestamp
  header.writeUIntBE(payload.length, 4, 3);
  header[7] = opts.type ?? TYPE_COMMAND_AMF0;
  header.writeUInt32LE(opts.streamId ?? 0, 8);
  const out: Buffer[] = [header];
  for (let off = 0; off < payload.length; off += CHUNK_SIZE) {
    if (off > 0) out.push(Buffer.from([0xc0 | (cid & 0x3f)]));
    out.push(payload.subarray(off, off + CHUNK_SIZE));
  }
  return Buffer.concat(out);
}

export function command(name: string, transactionId: number, args: Amf[], streamId = 0): Buffer {
  return chunkMessage(Buffer.concat([amf0(name), amf0(transactionId), ...args.map(amf0)]), { streamId });
}

/** C0 + C1 of the plain handshake. */
export function handshakeHello(): Buffer {
  const c1 = crypto.randomBytes(HANDSHAKE_SIZE);
  c1.writeUInt32BE(0, 0);
  c1.writeUInt32BE(0, 4);
  return Buffer.concat([Buffer.from([0x03]), c1]);
}

export interface RawClientOptions {
  host: string;
  port: number;
  /** Source address (any of 127.0.0.0/8 on Linux): spreads the traffic over many client addresses. */
  localAddress?: string;
  timeoutMs?: number;
}

/**
 * A raw RTMP connection. Everything the server sends is counted and searched
 * for status codes; `closed` resolves when the server closes it.
 */
export class RawRtmpClient {
  readonly socket: net.Socket;
  readonly closed: Promise<void>;
  received = Buffer.alloc(0);
  private waiters: Array<() => void> = [];

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (d: Buffer) => {
      // Keep only what status searches need: the first 64 KiB.
      if (this.received.length < 65_536) this.received = Buffer.concat([this.received, d]);
      for (const w of this.waiters.splice(0)) w();
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => socket.once('close', () => {
      for (const w of this.waiters.splice(0)) w();
      resolve();
    }));
  }

  static open(opts: RawClientOptions): Promise<RawRtmpClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: opts.host, port: opts.port, localAddress: opts.localAddress });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error('connect timed out'));
      }, opts.timeoutMs ?? 5000);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new RawRtmpClient(socket));
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  get isClosed(): boolean {
    return this.socket.destroyed || this.socket.readableEnded;
  }

  /** Plain handshake; resolves with the milliseconds from C0+C1 to the whole S0+S1+S2, rejects if the server closes first. */
  async handshake(timeoutMs = 5000): Promise<number> {
    const t0 = performance.now();
    this.socket.write(handshakeHello());
    await this.waitFor(() => this.received.length >= 1 + 2 * HANDSHAKE_SIZE, timeoutMs, 'S0+S1+S2');
    const ms = performance.now() - t0;
    const s1 = this.received.subarray(1, 1 + HANDSHAKE_SIZE);
    this.socket.write(s1); // C2 echoes S1
    this.received = this.received.subarray(1 + 2 * HANDSHAKE_SIZE);
    return ms;
  }

  connectApp(app: string, tcUrl: string): void {
    this.socket.write(command('connect', 1, [{ app, type: 'nonprivate', flashVer: 'FMLE/3.0', tcUrl }]));
  }

  createStream(): void {
    this.socket.write(command('createStream', 2, [null]));
  }

  /** Queues a publish command without waiting for any answer (a flood writes hundreds). */
  publish(name: string, streamId = 1): boolean {
    if (this.socket.destroyed) return false;
    return this.socket.write(command('publish', 0, [null, name, 'live'], streamId));
  }

  /** Whether the server has sent this status code (e.g. NetStream.Publish.Start) so far. */
  saw(code: string): boolean {
    return this.received.includes(code);
  }

  waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (cond()) {
          clearTimeout(timer);
          resolve();
        } else if (this.isClosed) {
          clearTimeout(timer);
          reject(new Error(`closed before ${what}`));
        } else this.waiters.push(check);
      };
      const timer = setTimeout(() => reject(new Error(`no ${what} within ${timeoutMs} ms`)), timeoutMs);
      check();
    });
  }

  destroy(): void {
    this.socket.destroy();
  }
}
