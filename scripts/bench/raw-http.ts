/**
 * A minimal HTTP/1.1 GET client for load generators: one kept-alive socket,
 * one request at a time, the status and the body (Content-Length or chunked).
 * Node's http client builds a ClientRequest, an IncomingMessage and an agent's
 * bookkeeping per request; at thousands of requests a second that made the
 * generator, not the server, the limit of the viewers bench.
 */
import net from 'node:net';

export interface RawResponse {
  status: number;
  body: Buffer;
}

interface Pending {
  resolve(r: RawResponse): void;
  reject(e: Error): void;
}

const HEADER_END = Buffer.from('\r\n\r\n');
const CRLF = Buffer.from('\r\n');
const EMPTY = Buffer.alloc(0);

/** Where a response's body ends in `buf` (after `start`), the body, or undefined while it is incomplete. */
function bodyOf(buf: Buffer, start: number, length: number | 'chunked' | 'none'): { body: Buffer; end: number } | undefined {
  if (length === 'none') return { body: EMPTY, end: start };
  if (length !== 'chunked') return buf.length - start >= length ? { body: buf.subarray(start, start + length), end: start + length } : undefined;
  const chunks: Buffer[] = [];
  let at = start;
  for (;;) {
    const eol = buf.indexOf(CRLF, at);
    if (eol < 0) return undefined;
    const size = parseInt(buf.toString('latin1', at, eol), 16);
    if (!(size >= 0)) throw new Error('bad chunk size');
    if (size === 0) {
      // No trailers expected: the last chunk is "0\r\n\r\n".
      if (buf.length < eol + 4) return undefined;
      return { body: Buffer.concat(chunks), end: eol + 4 };
    }
    if (buf.length < eol + 2 + size + 2) return undefined;
    chunks.push(buf.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

export class RawHttpClient {
  private socket?: net.Socket;
  private buf: Buffer = EMPTY;
  private pending?: Pending;
  /** The response being read: where its body starts, and how long it is. */
  private head?: { status: number; start: number; length: number | 'chunked' | 'none'; close: boolean };
  private readonly hostHeader: string;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly localAddress?: string,
    private readonly timeoutMs = 15_000,
  ) {
    this.hostHeader = `${host}:${port}`;
  }

  /** GETs `pathAndQuery`; one at a time. */
  get(pathAndQuery: string): Promise<RawResponse> {
    if (this.pending) return Promise.reject(new Error('a request is already in flight'));
    const socket = this.connect();
    return new Promise<RawResponse>((resolve, reject) => {
      this.pending = { resolve, reject };
      socket.write(`GET ${pathAndQuery} HTTP/1.1\r\nHost: ${this.hostHeader}\r\n\r\n`);
    });
  }

  close(): void {
    this.fail(new Error('closed'));
  }

  private connect(): net.Socket {
    if (this.socket && !this.socket.destroyed) return this.socket;
    const socket = net.connect({ host: this.host, port: this.port, localAddress: this.localAddress, noDelay: true });
    this.buf = EMPTY;
    this.head = undefined;
    // An inactivity timer on the socket (a request in flight that hears nothing for timeoutMs fails), not one per request.
    socket.setTimeout(this.timeoutMs, () => this.fail(new Error('timeout')));
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', (e) => this.fail(e));
    socket.on('close', () => {
      if (this.socket === socket) this.fail(new Error('connection closed'));
    });
    this.socket = socket;
    return socket;
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    try {
      if (!this.head) {
        const end = this.buf.indexOf(HEADER_END);
        if (end < 0) return;
        const text = this.buf.toString('latin1', 0, end);
        const status = Number(text.slice(9, 12));
        const lower = text.toLowerCase();
        const cl = /\r\ncontent-length:\s*(\d+)/.exec(lower);
        const chunked = /\r\ntransfer-encoding:[^\r]*chunked/.test(lower);
        const bodiless = status === 204 || status === 304 || (status >= 100 && status < 200);
        const length = bodiless ? 'none' : chunked ? 'chunked' : cl ? Number(cl[1]) : undefined;
        if (length === undefined) throw new Error('response without a length');
        this.head = { status, start: end + 4, length, close: /\r\nconnection:\s*close/.test(lower) };
      }
      const got = bodyOf(this.buf, this.head.start, this.head.length);
      if (!got) return;
      const { status, close } = this.head;
      // The body is copied out: the rest of the buffer is the next response's (there is none in flight).
      const body = Buffer.from(got.body);
      this.buf = EMPTY;
      this.head = undefined;
      const p = this.pending;
      this.pending = undefined;
      if (close) this.drop();
      p?.resolve({ status, body });
    } catch (e) {
      this.fail(e as Error);
    }
  }

  private drop(): void {
    const s = this.socket;
    this.socket = undefined;
    s?.destroy();
  }

  private fail(e: Error): void {
    this.drop();
    const p = this.pending;
    this.pending = undefined;
    p?.reject(e);
  }
}
