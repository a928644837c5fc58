/**
 * The only file that knows node-media-server's internals (v4.4.x). We use its
 * RTMP protocol stack and per-stream broadcast (GOP cache, FLV muxing) but own
 * the TCP listener ourselves: node-media-server ignores port 0 and calls
 * process.exit on a port clash, and its parser throws on malformed commands.
 */
import crypto from 'node:crypto';
import type net from 'node:net';
import { PassThrough } from 'node:stream';

/* eslint-disable @typescript-eslint/no-require-imports */
const Context = require('node-media-server/src/core/context.js') as NmsContext;
const RtmpSession = require('node-media-server/src/session/rtmp_session.js') as new (socket: net.Socket) => NmsSession;
const nmsLogger = require('node-media-server/src/core/logger.js') as { log: (message: string, level?: string) => void };

export interface NmsSession {
  id: string;
  ip: string;
  protocol: string;
  streamApp: string;
  streamName: string;
  streamPath: string;
  streamQuery: Record<string, unknown>;
  socket: net.Socket;
  videoWidth: number;
  videoHeight: number;
  videoFramerate: number;
  videoCodec: number;
  videoDatarate: number;
  audioCodec: number;
  audioDatarate: number;
  run(): void;
  onData(data: Buffer): void;
  sendBuffer(buffer: Buffer): void;
  close(): void;
}

interface NmsBroadcast {
  postPlay(session: object): string | null;
  donePlay(session: object): void;
  /** The stream's video sequence header as an FLV tag (AVC avcC, or enhanced RTMP hvcC/av1C). */
  flvVideoHeader?: Buffer | null;
}

interface NmsContext {
  config: Record<string, unknown>;
  sessions: Map<string, NmsSession>;
  broadcasts: Map<string, NmsBroadcast>;
  eventEmitter: NodeJS.EventEmitter;
}

export type NmsHook = (session: NmsSession) => void;

/**
 * Publishing is gated with node-media-server's own signed-URL auth: every
 * publish fails verification unless our prePublish hook signed it. A rejected
 * publish therefore never becomes the stream's publisher and never reaches
 * postPublish. RTMP playback is refused the same way (we never sign plays).
 */
export class NmsBridge {
  private readonly secret = crypto.randomBytes(16).toString('hex');
  private readonly listeners: [string, NmsHook][] = [];

  constructor(hooks: { prePublish: NmsHook; postPublish: NmsHook }, log: (message: string, level: string) => void) {
    Context.config = { auth: { publish: true, play: true, secret: this.secret } };
    nmsLogger.log = (message: string, level = 'info') => log(message, level);
    this.listen('prePublish', hooks.prePublish);
    this.listen('postPublish', hooks.postPublish);
  }

  /** Allows this publish: signs it the way node-media-server's verifyAuth expects. */
  admit(session: NmsSession): void {
    const exp = Math.floor(Date.now() / 1000) + 60;
    const hash = crypto.createHash('md5').update(`${session.streamPath}-${exp}-${this.secret}`).digest('hex');
    session.streamQuery = { ...session.streamQuery, sign: `${exp}-${hash}` };
  }

  /** Runs the RTMP protocol on an accepted socket. Parser exceptions close that socket only. */
  attach(socket: net.Socket): NmsSession {
    const session = new RtmpSession(socket);
    session.run();
    const original = session.onData;
    socket.removeListener('data', original);
    socket.on('data', (data: Buffer) => {
      try {
        original(data);
      } catch {
        socket.destroy();
      }
    });
    Context.sessions.set(session.id, session);
    return session;
  }

  /** The stream's video sequence header (an FLV tag), once the publisher sent it. */
  videoHeader(streamPath: string): Buffer | undefined {
    return Context.broadcasts.get(streamPath)?.flvVideoHeader ?? undefined;
  }

  /** A live FLV copy of a stream, starting with its headers and last GOP. */
  subscribe(streamPath: string): { stream: PassThrough; close(): void } | undefined {
    const broadcast = Context.broadcasts.get(streamPath);
    if (!broadcast) return undefined;
    const stream = new PassThrough({ highWaterMark: 1 << 20 });
    const sink = {
      id: `liveroom-${crypto.randomBytes(6).toString('hex')}`,
      ip: '', // internal: node-media-server skips auth and events for it
      protocol: 'flv',
      streamPath,
      sendBuffer: (buf: Buffer) => {
        if (!stream.writableEnded) stream.write(buf);
      },
      close: () => {},
    };
    broadcast.postPlay(sink);
    let closed = false;
    return {
      stream,
      close: () => {
        if (closed) return;
        closed = true;
        broadcast.donePlay(sink);
        stream.end();
      },
    };
  }

  stop(): void {
    for (const [event, fn] of this.listeners) Context.eventEmitter.off(event, fn);
    this.listeners.length = 0;
    for (const s of Context.sessions.values()) s.socket?.destroy();
    Context.sessions.clear();
    Context.broadcasts.clear();
  }

  private listen(event: string, fn: NmsHook) {
    const guarded: NmsHook = (s) => {
      try {
        fn(s);
      } catch {
        s.socket?.destroy();
      }
    };
    Context.eventEmitter.on(event, guarded);
    this.listeners.push([event, guarded]);
  }
}
