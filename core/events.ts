import type { Readable } from 'node:stream';

/**
 * The short list of events the modules exchange, with their payloads. The
 * composition root (server/liveroom.ts) wires the parts onto one bus; the
 * broadcast coordinator (broadcast/) sequences a channel's publish → transcode → package.
 */

/** A live FLV feed of the publisher, starting with headers and the last GOP. */
export interface FlvFeed {
  readonly stream: Readable;
  /** Detaches from the publisher and ends the stream. */
  close(): void;
}

export interface SourceInfo {
  width: number;
  height: number;
  frameRate: number;
  videoCodec: string;
  audioCodec: string;
  /** kbit/s announced by the publisher (onMetaData), 0 when unknown. */
  videoKbps: number;
  audioKbps: number;
  /** H.264 profile_idc from the stream's AVC sequence header (66, 77, 100; 110 is High 10), when known. */
  videoProfile?: number;
}

export interface PublishStarted {
  channel: string;
  publishId: string;
  startedAt: number;
  remoteAddress: string;
  /** Opens a new FLV feed of this publish (one per ffmpeg run). */
  openFeed(): FlvFeed;
  /** What the publisher announced; zeros until its metadata arrived. */
  source(): SourceInfo;
}

export interface PublishEnded {
  channel: string;
  publishId: string;
  /**
   * publisher-left: its connection closed; publisher-silent: no media for rtmp.mediaTimeoutMs;
   * replaced: a publish with a valid key took over while this one was silent (a publish:started follows).
   */
  reason: 'publisher-left' | 'publisher-silent' | 'replaced' | 'kicked' | 'server-stopping';
}

export interface PublishRejected {
  remoteAddress: string;
  /**
   * store-unavailable: the key could not be looked up (the database did not answer); not the publisher's failure, so it
   * is not counted against its address.
   */
  reason: 'unknown-key' | 'wrong-app' | 'already-live' | 'malformed' | 'store-unavailable';
}

/** One rendition's fragmented-MP4 byte stream from one ffmpeg run. */
export interface RenditionOutput {
  channel: string;
  publishId: string;
  rendition: string;
  /** Names the ffmpeg run: the renditions of one run share timestamps and segment boundaries. */
  run: string;
  /** Configured bits/s, for BANDWIDTH until a segment has been measured. */
  nominalBandwidth: number;
  /** Every rendition of this run, in ladder order (a restart with another profile may change it). */
  ladder?: string[];
  /** Bytes: ftyp+moov, then moof+mdat fragments. Ends when ffmpeg ends. */
  stream: Readable;
}

export interface TranscoderExited {
  channel: string;
  publishId: string;
  code: number | null;
  signal: string | null;
  /** Why the run never got going (temp folder, socket, spawn), when it failed to start. */
  error?: string;
  willRestart: boolean;
}

export interface ChannelState {
  channel: string;
  live: boolean;
  publishId: string | null;
  since: number;
}

/** A broadcast begins: its first publish (a reconnect within the grace continues the broadcast and is not one). */
export interface BroadcastStarted {
  channel: string;
  /** Stable for the whole broadcast; names its media URIs (and its recording). */
  broadcastId: string;
  startedAt: number;
}

/** A broadcast is over: its last segments are complete and its playlists have ENDLIST. */
export interface BroadcastEnded {
  channel: string;
  broadcastId: string;
  endedAt: number;
}

/** An init segment (ftyp+moov) the packager now holds for a rendition of a broadcast. */
export interface MediaInit {
  channel: string;
  broadcastId: string;
  rendition: string;
  /** Counts up within the rendition's playlist (a reconnect or an ffmpeg restart brings a new one). */
  initId: number;
  bytes: Buffer;
  /** The broadcast's current ladder, in ladder order (the first is the profile's top rendition). */
  ladder: string[];
  width: number;
  height: number;
  /** RFC 6381 codec strings of its tracks. */
  codecs: string[];
}

/** A segment the packager completed (every part in, closed on the next boundary or at a pause/end). */
export interface MediaSegment {
  channel: string;
  broadcastId: string;
  rendition: string;
  msn: number;
  initId: number;
  /** Seconds. */
  duration: number;
  /** EXT-X-PROGRAM-DATE-TIME of its first sample, ms since the epoch. */
  programDateTime: number;
  /** Follows a new stream (reconnect, ffmpeg restart): EXT-X-DISCONTINUITY before it. */
  discontinuity: boolean;
  /** moof+mdat fragments of the whole segment. */
  bytes: Buffer;
  /** LL-HLS parts it was served as. */
  parts: number;
}

/** An RTMP connection or publish refused (counted; logged at most once per address per interval). */
export interface IngestRefused {
  remoteAddress: string;
  /** At accept (backed-off, too-many-from-address, server-full), before admission (timeout, protocol-violation, tls-handshake), or a publish refusal. */
  reason: 'backed-off' | 'too-many-from-address' | 'server-full' | 'evicted-at-capacity' | 'timeout' | 'protocol-violation' | 'tls-handshake' | PublishRejected['reason'];
}

/** A chat message was accepted (stored and sent to the room). */
export interface ChatMessageSent {
  channel: string;
  kind: 'chat' | 'danmaku';
  role: string;
  /** The author's public chat id (analytics counts distinct chatters; nothing stores it). */
  authorId: string;
}

/** The chat refused something: a connection, a message, a packet (its chat error code, LR_CHAT_*). */
export interface ChatRefused {
  channel: string | undefined;
  code: string;
}

/** A moderator or the streamer did something in a channel's chat (it is in the moderation log). */
export interface ChatModerationDone {
  channel: string;
  action: string;
  actor: { id: string; name: string; role: string };
  /** The request's other fields: userId, messageId, seconds, reason, word. */
  details: Record<string, string | number>;
  at: number;
}

/** A broadcast's recording is finished and indexed: its VOD playlists are final. */
export interface RecordingReady {
  channel: string;
  recordingId: string;
  status: string;
  startedAt: number;
  endedAt: number;
  /** Seconds. */
  duration: number;
  bytes: number;
}

/** The operator changed a channel's title, description or offline message (the admin API). */
export interface ChannelProfileChanged {
  channel: string;
  title: string;
  description: string;
  offlineMessage: string;
}

/** How a viewer shared the watch page: the browser's share sheet, a copied link, or a copied embed code. */
export type ShareMethod = 'native' | 'copy' | 'embed';

/** A viewer shared the watch page (counted). */
export interface ChannelShared {
  channel: string;
  /** The broadcast on air then, or null. */
  broadcastId: string | null;
  method: ShareMethod;
}

export type LiveroomEvents = {
  'publish:started': (e: PublishStarted) => void;
  'publish:ended': (e: PublishEnded) => void;
  'publish:rejected': (e: PublishRejected) => void;
  'rendition:output': (e: RenditionOutput) => void;
  'transcoder:exited': (e: TranscoderExited) => void;
  /** The packager has a playable playlist (live) or wrote ENDLIST (offline). */
  'channel:state': (e: ChannelState) => void;
  'broadcast:started': (e: BroadcastStarted) => void;
  'broadcast:ended': (e: BroadcastEnded) => void;
  'media:init': (e: MediaInit) => void;
  'media:segment': (e: MediaSegment) => void;
  'ingest:refused': (e: IngestRefused) => void;
  'chat:message': (e: ChatMessageSent) => void;
  'chat:refused': (e: ChatRefused) => void;
  'chat:moderation': (e: ChatModerationDone) => void;
  'recording:ready': (e: RecordingReady) => void;
  'channel:profile': (e: ChannelProfileChanged) => void;
  'channel:shared': (e: ChannelShared) => void;
};
