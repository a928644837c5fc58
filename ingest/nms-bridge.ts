/**
 * The only file that knows node-media-server's internals (v4.4.x). We use its
 * RTMP protocol stack (handshake, chunk parser, AMF commands) and its per-stream
 * broadcast (GOP cache, FLV muxing), but own the TCP listener and every decision:
 * node-media-server ignores port 0, calls process.exit on a port clash, and on its
 * own is not safe to expose (issue 13):
 *
 * - its chunk parser allocates whatever 24-bit message length a chunk header
 *   declares, per chunk stream, before any check (random bytes → gigabytes);
 * - every publish/play command registers a BroadcastServer in Context.broadcasts
 *   before the key is checked, and only the last one is removed on close;
 * - it answers NetStream.Publish.Start and attaches the session to the stream
 *   before the key check, and after refusing only half-closes the socket, so a
 *   refused session's media still reached the live stream's subscribers;
 * - it keeps a closed publisher's broadcast 30 s for a "resume" that shifts the
 *   next publish's timestamps and replays the old GOP cache to new subscribers.
 *
 * How: we PATCH THE PARSER OBJECT'S METHODS per session (chunkMessageHeaderRead,
 * packetParse, controlHandler, dataHandler, onConnect, onCreateStream, onPublish,
 * onPlay) instead of validating chunk headers with a second parser in front of it.
 * A second parser would have to mirror node-media-server's exact state machine
 * (its chunk-size handling, its extended-timestamp and 3-byte chunk-id quirks)
 * to see the same declared lengths; the day the two disagree, the check guards
 * nothing. The patched methods read the very header fields the parser is about
 * to act on, at the moment it acts on them: a declared length is checked right
 * after the header is read, before packetAlloc() can allocate for it. The byte
 * budget before admission is counted in front of the parser (we own the socket's
 * 'data' listener). The patch points are checked at load (assertPatchable), so a
 * node-media-server upgrade that renames them fails at start, not silently.
 *
 * Decisions (key check, one publisher per channel, takeover) happen in our
 * onPublish wrapper BEFORE node-media-server's onPublish runs, so a refused
 * publish never registers anything, never gets Publish.Start and never gets a
 * stream; its socket is destroyed (not half-closed) and parsing stops at once.
 */
import crypto from 'node:crypto';
import type net from 'node:net';
import { PassThrough } from 'node:stream';
import { fail } from '../core/errors';
import type { PublishRejected } from '../core/events';

/* eslint-disable @typescript-eslint/no-require-imports */
skipUnusedFlvParser(); // before the RTMP modules load: they capture the FLV class
const Context = require('node-media-server/src/core/context.js') as NmsContext;
const RtmpSession = require('node-media-server/src/session/rtmp_session.js') as new (socket: net.Socket) => NmsSession;
const RtmpProto = (require('node-media-server/src/protocol/rtmp.js') as { prototype: Record<string, unknown> }).prototype;
const nmsLogger = require('node-media-server/src/core/logger.js') as { log: (message: string, level?: string) => void };

const PATCHED = ['chunkMessageHeaderRead', 'packetParse', 'packetHandler', 'controlHandler', 'dataHandler', 'onConnect', 'onCreateStream', 'onPublish', 'onPlay', 'sendStatusMessage'] as const;

/** RTMP message types (RTMP spec 5.4, 7.1). */
const TYPE_SET_CHUNK_SIZE = 1;
const TYPE_AUDIO = 8;
const TYPE_VIDEO = 9;
/** Commands, metadata and anything but audio/video stay below this even once admitted (OBS metadata is ~1 KiB). */
const MAX_COMMAND_BYTES = 65_536;
/** Chunk streams per connection: encoders use 3 to 6 (control, command, audio, video, data); before a publish, 2 or 3. */
const MAX_CHUNK_STREAMS = 16;
const PRE_AUTH_MAX_CHUNK_STREAMS = 6;
/** createStream commands per connection (OBS and ffmpeg send one). */
const MAX_CREATE_STREAMS = 4;
/** Stream names and apps node-media-server accepts (its SAFE_NAME_PATTERN); checked first so it never refuses on its own. */
const SAFE_NAME = /^[a-zA-Z0-9_-]+$/;

export interface NmsSession {
  id: string;
  streamApp: string;
  streamName: string;
  streamPath: string;
  socket: net.Socket;
  isPublisher: boolean;
  videoWidth: number;
  videoHeight: number;
  videoFramerate: number;
  videoCodec: number;
  videoDatarate: number;
  audioCodec: number;
  audioDatarate: number;
  broadcast: NmsBroadcast;
  rtmp: NmsRtmp;
  run(): void;
  onData(data: Buffer): void;
  onClose(): void;
  onError(err: Error): void;
}

interface NmsPacketHeader {
  fmt: number;
  cid: number;
  length: number;
  type: number;
  stream_id: number;
}

interface NmsPacket {
  header: NmsPacketHeader;
  payload: Buffer;
  clock: number;
  bytes: number;
}

interface NmsRtmp {
  parserPacket: NmsPacket;
  inPackets: Map<number, unknown>;
  streamApp?: string;
  flv?: unknown;
  chunkMessageHeaderRead(): number;
  packetParse(): void;
  packetHandler(): void;
  controlHandler(): void;
  dataHandler(): void;
  onConnect(msg: unknown): void;
  onCreateStream(msg: unknown): void;
  onPublish(msg: { streamName?: unknown }): void;
  onPlay(msg: unknown): void;
  sendStatusMessage(sid: number, level: string, code: string, description: string): void;
}

interface NmsBroadcast {
  publisher: object | null;
  subscribers: Map<string, object>;
  postPlay(session: object): string | null;
  donePlay(session: object): void;
  _finishPublish(): void;
  /** The stream's video sequence header as an FLV tag (AVC avcC, or enhanced RTMP hvcC/av1C). */
  flvVideoHeader?: Buffer | null;
}

interface NmsContext {
  config: Record<string, unknown>;
  broadcasts: Map<string, NmsBroadcast>;
}

export interface RtmpLimits {
  preAuthMaxBytes: number;
  preAuthMaxMessageBytes: number;
  maxMessageBytes: number;
}

export type PublishVerdict = { ok: true } | { ok: false; reason: PublishRejected['reason']; description: string };

export interface BridgeHooks {
  /**
   * Decides a publish command. Runs before node-media-server registers anything for it. It may answer later (the
   * key is looked up in the store): the connection's further bytes wait, unparsed, until it has.
   */
  authorize(conn: RtmpConnection, app: string, name: string): PublishVerdict | Promise<PublishVerdict>;
  /** A publish command was refused (by authorize, or before it: malformed path, or by node-media-server); the connection is gone. */
  refused(conn: RtmpConnection, reason: PublishRejected['reason'], description: string): void;
  /** The publish is live: this session is its stream's publisher. */
  admitted(conn: RtmpConnection): void;
  /** The connection broke a protocol rule; it has been destroyed. */
  violation(conn: RtmpConnection, rule: string): void;
}

/**
 * The onStatus code a refused publish gets (level 'error' either way: ffmpeg prints the description and stops, OBS's
 * librtmp closes): BadName when the name (key, path) or the channel is the problem; NetStream.Failed, the generic
 * "failed for another reason", when the server could not decide (the store did not answer), so it does not read as a
 * wrong key.
 */
export function refusalStatus(reason: PublishRejected['reason']): string {
  return reason === 'store-unavailable' ? 'NetStream.Failed' : 'NetStream.Publish.BadName';
}

/** Thrown inside the parser to stop it mid-buffer; the connection was already dealt with. */
class StopParsing extends Error {}

/** One accepted socket running node-media-server's RTMP session, with our limits around it. */
export class RtmpConnection {
  /** A publish was admitted on it (it may have ended since: see released). */
  admitted = false;
  released = false;
  /** Last audio or video message (ms since the epoch); the admission time until the first one. */
  lastMediaAt = 0;
  private preAuthBytes = 0;
  private connects = 0;
  private createStreams = 0;
  private publishes = 0;
  private stopped = false;
  /** Messages that came while a publish command waited for its verdict; handled once it is in (null: not waiting). */
  private held: NmsPacket[] | null = null;

  constructor(
    readonly session: NmsSession,
    private readonly limits: RtmpLimits,
    private readonly hooks: BridgeHooks,
  ) {}

  get socket(): net.Socket {
    return this.session.socket;
  }

  get streamName(): string {
    return this.session.streamName;
  }

  /** Our 'data' listener: the byte budget before admission is enforced here, in front of the parser. */
  feed(data: Buffer): void {
    let rest = data;
    while (rest.length > 0 && !this.stopped) {
      let take = rest;
      if (!this.admitted) {
        const room = this.limits.preAuthMaxBytes - this.preAuthBytes;
        if (room <= 0) return this.violate(`sent more than ${this.limits.preAuthMaxBytes} bytes before publishing`);
        take = rest.subarray(0, room);
        this.preAuthBytes += take.length;
      }
      rest = rest.subarray(take.length);
      try {
        this.session.onData(take);
      } catch (err) {
        if (err instanceof StopParsing) return;
        return this.violate(`malformed RTMP (${(err as Error).message.slice(0, 80)})`);
      }
    }
  }

  /**
   * Holds the messages parsed after the publish command (still under the pre-publish limits) until `verdict`
   * settles, then runs `decide` with it and handles them in order, as if they had come after it.
   */
  await(verdict: Promise<PublishVerdict>, decide: (v: PublishVerdict) => void): void {
    this.held = [];
    verdict
      .then(
        (v) => {
          if (!this.stopped) decide(v);
        },
        (err: unknown) => this.violate(`publish could not be decided (${(err as Error).message.slice(0, 80)})`),
      )
      .catch((err: unknown) => this.violate(`publish failed (${(err as Error).message.slice(0, 80)})`))
      .finally(() => this.release());
  }

  /** A message parsed while a verdict is awaited: copied (the parser reuses its buffers) and kept; false when not waiting. */
  hold(packet: NmsPacket): boolean {
    if (!this.held) return false;
    this.held.push({ ...packet, header: { ...packet.header }, payload: Buffer.from(packet.payload.subarray(0, packet.header.length)) });
    return true;
  }

  /** Handles the held messages through the (patched) handler, as the parser would have. */
  private release(): void {
    const held = this.held ?? [];
    this.held = null;
    const rtmp = this.session.rtmp;
    const current = rtmp.parserPacket;
    try {
      for (const packet of held) {
        if (this.stopped) break;
        rtmp.parserPacket = packet;
        rtmp.packetHandler();
      }
    } catch (err) {
      if (!(err instanceof StopParsing)) this.violate(`malformed RTMP (${(err as Error).message.slice(0, 80)})`);
    } finally {
      rtmp.parserPacket = current;
    }
  }

  /** Stops parsing and destroys the socket; nothing it sent afterwards is looked at. */
  destroy(): void {
    this.stopped = true;
    this.socket.destroy();
  }

  violate(rule: string): void {
    if (this.stopped) return;
    this.destroy();
    this.hooks.violation(this, rule);
  }

  /** Installs the limits on this session's parser object (see the file comment for why here). */
  patch(): void {
    const rtmp = this.session.rtmp;
    const conn = this;
    const orig = Object.fromEntries(PATCHED.map((m) => [m, (RtmpProto[m] as (...a: unknown[]) => unknown).bind(rtmp)])) as unknown as NmsRtmp;
    const fail = (rule: string): never => {
      conn.violate(rule);
      throw new StopParsing(rule);
    };

    // Every chunk header: the declared message length is checked before packetAlloc() can allocate for it.
    rtmp.chunkMessageHeaderRead = () => {
      const offset = orig.chunkMessageHeaderRead();
      const { length, type } = rtmp.parserPacket.header;
      const media = type === TYPE_AUDIO || type === TYPE_VIDEO;
      const cap = !conn.admitted ? conn.limits.preAuthMaxMessageBytes : media ? conn.limits.maxMessageBytes : MAX_COMMAND_BYTES;
      if (length > cap) fail(`declared a ${length}-byte RTMP message (type ${type}); the limit is ${cap}`);
      return offset;
    };
    rtmp.packetParse = () => {
      orig.packetParse();
      const max = conn.admitted ? MAX_CHUNK_STREAMS : PRE_AUTH_MAX_CHUNK_STREAMS;
      if (rtmp.inPackets.size > max) fail(`used more than ${max} chunk streams`);
    };
    // While a publish waits for its verdict, the messages after it wait too (the parser goes on reading bytes).
    rtmp.packetHandler = () => {
      if (!conn.hold(rtmp.parserPacket)) orig.packetHandler();
    };
    rtmp.controlHandler = () => {
      if (rtmp.parserPacket.header.type === TYPE_SET_CHUNK_SIZE) {
        const size = rtmp.parserPacket.payload.readUInt32BE(0);
        if (size < 1 || size > 0x7fffffff) fail(`set an invalid chunk size ${size}`);
      }
      orig.controlHandler();
    };
    // Audio, video and data before a publish is admitted are a violation; they never reach any stream.
    rtmp.dataHandler = () => {
      if (!conn.admitted || conn.released) fail('sent media before its publish was admitted');
      const type = rtmp.parserPacket.header.type;
      if (type === TYPE_AUDIO || type === TYPE_VIDEO) conn.lastMediaAt = Date.now();
      orig.dataHandler();
    };
    rtmp.onConnect = (msg) => {
      if (++conn.connects > 1) fail('sent a second connect');
      orig.onConnect(msg); // throws on a missing or invalid tcUrl: a violation (caught in feed)
    };
    rtmp.onCreateStream = (msg) => {
      if (++conn.createStreams > MAX_CREATE_STREAMS) fail(`sent more than ${MAX_CREATE_STREAMS} createStream commands`);
      orig.onCreateStream(msg);
    };
    rtmp.onPlay = () => fail('asked to play (RTMP playback is not offered)');
    rtmp.onPublish = (msg) => {
      if (++conn.publishes > 1) fail('sent a second publish command');
      const full = typeof msg?.streamName === 'string' ? msg.streamName : '';
      const name = full.split('?')[0];
      const app = typeof rtmp.streamApp === 'string' ? rtmp.streamApp : '';
      // The publish's own message stream: node-media-server reads it off the current packet, which may have moved on
      // by the time a verdict that had to wait comes in.
      const streamId = rtmp.parserPacket.header.stream_id;
      /** Carries out the verdict; false when the connection is gone (refused, or refused by node-media-server). */
      const decide = (verdict: PublishVerdict): boolean => {
        if (!verdict.ok) {
          // Best effort: tell the encoder why (ffmpeg and OBS log it), then drop the connection for real.
          orig.sendStatusMessage(streamId, 'error', refusalStatus(verdict.reason), verdict.description);
          conn.destroy();
          conn.hooks.refused(conn, verdict.reason, verdict.description);
          return false;
        }
        const header = rtmp.parserPacket.header;
        const current = header.stream_id;
        header.stream_id = streamId;
        try {
          orig.onPublish(msg);
        } finally {
          header.stream_id = current;
        }
        if (!conn.session.isPublisher || conn.socket.destroyed) {
          // node-media-server refused it after all (its stream already had a publisher): same as a refusal.
          conn.destroy();
          conn.hooks.refused(conn, 'already-live', 'the stream already has a publisher');
          return false;
        }
        conn.admitted = true;
        conn.lastMediaAt = Date.now();
        conn.hooks.admitted(conn);
        return true;
      };
      const verdict: PublishVerdict | Promise<PublishVerdict> =
        !SAFE_NAME.test(app) || !SAFE_NAME.test(name) ? { ok: false, reason: 'malformed', description: 'malformed stream path' } : conn.hooks.authorize(conn, app, name);
      // A verdict that has to wait (the key's lookup): what the encoder sends meanwhile is parsed under the
      // pre-publish limits and handled after the verdict.
      if (verdict instanceof Promise) return conn.await(verdict, decide);
      if (!decide(verdict)) throw new StopParsing(verdict.ok ? 'refused by node-media-server' : verdict.reason);
    };
  }
}

/**
 * node-media-server's RTMP parser constructs an FLV file parser it never uses, with a zero-filled
 * 1 MiB buffer, for every connection: under a connection flood that alone kept tens of MiB resident
 * (measured: 300 sessions, +56 MiB with it, +19 MiB without). Before the RTMP modules load, the FLV
 * module's export is swapped for a proxy whose `new` gives an empty parser; the static muxing helpers
 * the broadcast uses (createHeader, createMessage, parserTag) pass through. Where a module registry
 * ignores require.cache (jest), nothing changes and `attach` still drops the parser after the fact.
 */
function skipUnusedFlvParser() {
  const id = require.resolve('node-media-server/src/protocol/flv.js');
  const Flv = require(id) as new () => object;
  const entry = require.cache[id];
  if (!entry || (Flv as { __liveroomLazy?: true }).__liveroomLazy) return;
  entry.exports = new Proxy(Flv, {
    construct: () => Object.create(Flv.prototype) as object,
    get: (target, key, receiver) => (key === '__liveroomLazy' ? true : Reflect.get(target, key, receiver)),
  });
}

/** Fails at start if node-media-server's parser no longer has the methods we patch. */
function assertPatchable() {
  const missing = PATCHED.filter((m) => typeof RtmpProto[m] !== 'function');
  if (missing.length) throw fail('LR_INGEST_NMS_UNSUPPORTED', { missing: missing.join(', ') });
}

export class NmsBridge {
  private readonly conns = new Set<RtmpConnection>();

  constructor(
    private readonly limits: RtmpLimits,
    private readonly hooks: BridgeHooks,
    log: (message: string, level: string) => void,
  ) {
    assertPatchable();
    // Publishes are decided in our onPublish wrapper before node-media-server sees them, so its own
    // signed-URL check for publishing is off; playback is refused by the wrapper and, behind it, by
    // a signature nobody knows.
    Context.config = { auth: { publish: false, play: true, secret: crypto.randomBytes(16).toString('hex') } };
    nmsLogger.log = (message: string, level = 'info') => log(message, level);
  }

  /** Runs the RTMP protocol on an accepted socket, with our limits. */
  attach(socket: net.Socket): RtmpConnection {
    const session = new RtmpSession(socket);
    session.run();
    // We own the socket's listeners: node-media-server's would parse without a budget and, on close,
    // touch stream tables we clean ourselves (release()).
    socket.removeListener('data', session.onData);
    socket.removeListener('close', session.onClose);
    socket.removeListener('error', session.onError);
    // The RTMP parser carries an FLV file parser it never uses, with a 1 MiB buffer.
    session.rtmp.flv = undefined;
    const conn = new RtmpConnection(session, this.limits, this.hooks);
    conn.patch();
    this.conns.add(conn);
    socket.on('data', (data: Buffer) => conn.feed(data));
    socket.once('close', () => {
      this.release(conn);
      this.conns.delete(conn);
    });
    return conn;
  }

  /**
   * Ends this connection's publish in node-media-server at once: the stream has no publisher, its
   * caches are dropped (no 30 s "resume" replaying an old GOP), and an empty stream leaves
   * Context.broadcasts. Safe to call more than once.
   */
  release(conn: RtmpConnection): void {
    if (!conn.admitted || conn.released) return;
    conn.released = true;
    const broadcast = conn.session.broadcast;
    if (broadcast.publisher === conn.session) broadcast._finishPublish();
    const path = conn.session.streamPath;
    if (Context.broadcasts.get(path) === broadcast && broadcast.publisher === null && broadcast.subscribers.size === 0) {
      Context.broadcasts.delete(path);
    }
  }

  /** The video sequence header (an FLV tag) of an admitted publish, once the publisher sent it. */
  videoHeader(conn: RtmpConnection): Buffer | undefined {
    return conn.admitted && !conn.released ? (conn.session.broadcast.flvVideoHeader ?? undefined) : undefined;
  }

  /** A live FLV copy of an admitted publish, starting with its headers and last GOP. */
  subscribe(conn: RtmpConnection): { stream: PassThrough; close(): void } | undefined {
    const broadcast = conn.session.broadcast;
    if (!conn.admitted || conn.released || broadcast.publisher !== conn.session) return undefined;
    const stream = new PassThrough({ highWaterMark: 1 << 20 });
    const sink = {
      id: `liveroom-${crypto.randomBytes(6).toString('hex')}`,
      ip: '', // internal: node-media-server skips auth and events for it
      protocol: 'flv',
      streamPath: conn.session.streamPath,
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

  /** Streams node-media-server holds (tests and status: should be one per live publish). */
  static streamCount(): number {
    return Context.broadcasts.size;
  }

  stop(): void {
    for (const conn of this.conns) {
      this.release(conn);
      conn.destroy();
    }
    this.conns.clear();
  }
}
