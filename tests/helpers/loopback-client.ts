/**
 * Clients from chosen loopback addresses (127.0.0.0/8 all reach the server on
 * Linux), so one test plays several hosts: a proxy at 127.0.0.1, direct
 * clients at 127.0.0.2, 127.0.0.3, …
 */
import http from 'node:http';
import crypto from 'node:crypto';
import { io as ioClient, type Socket } from 'socket.io-client';
import type { ChatError, ClientToServerEvents, ServerToClientEvents, Welcome } from '../../chat/chat-events';
import { parseMultivariant } from './m3u8';

export type ChatSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface Held {
  /** Resolves with the status once the response starts (never, for a request still held). */
  status: Promise<number>;
  headers: Promise<http.IncomingHttpHeaders>;
  body: Promise<string>;
  /** The client goes away (the socket is destroyed). */
  abort(): void;
}

/** A GET from `localAddress` that may stay pending (a held request); no agent, one connection each. */
export function get(url: string, opts: { localAddress?: string; headers?: Record<string, string> } = {}): Held {
  let abort = () => {};
  let resolveHeaders!: (h: http.IncomingHttpHeaders) => void;
  const headers = new Promise<http.IncomingHttpHeaders>((r) => (resolveHeaders = r));
  let resolveBody!: (b: string) => void;
  const body = new Promise<string>((r) => (resolveBody = r));
  const status = new Promise<number>((resolve, reject) => {
    const req = http.get(url, { agent: false, localAddress: opts.localAddress, headers: opts.headers }, (res) => {
      resolve(res.statusCode ?? 0);
      resolveHeaders(res.headers);
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolveBody(text));
      res.on('error', () => resolveBody(text));
    });
    req.on('error', (err) => {
      if ((err as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(err);
    });
    abort = () => req.destroy();
  });
  status.catch(() => {});
  return { status, headers, body, abort };
}

/** The first variant's media playlist URL, resolved against the multivariant playlist (whatever the URL layout). */
export async function firstMediaUrl(base: string, channel: string): Promise<string> {
  const masterUrl = `${base}/hls/${channel}/master.m3u8`;
  const res = await fetch(masterUrl);
  if (res.status !== 200) throw new Error(`master.m3u8: ${res.status}`);
  const variants = parseMultivariant(await res.text());
  if (!variants.length) throw new Error('no variants');
  return new URL(variants[0].uri, masterUrl).toString();
}

export const newIdentity = () => crypto.randomBytes(16).toString('base64url');

/** A chat connection (WebSocket) from `localAddress`; resolves with the welcome, or rejects with the refusal's data. */
export function joinChat(
  base: string,
  opts: { localAddress?: string; headers?: Record<string, string>; auth?: Record<string, unknown>; path?: string } = {},
): { socket: ChatSocket; welcome: Promise<Welcome> } {
  const socket: ChatSocket = ioClient(base, {
    path: opts.path ?? '/socket.io',
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    localAddress: opts.localAddress,
    extraHeaders: opts.headers,
    auth: { channel: 'live', identity: newIdentity(), name: 'viewer', ...opts.auth },
  } as never);
  const welcome = new Promise<Welcome>((resolve, reject) => {
    socket.once('welcome', resolve);
    socket.once('connect_error', (err: Error & { data?: ChatError }) => reject(err.data ?? err));
  });
  welcome.catch(() => {});
  return { socket, welcome };
}
