/**
 * Where a recording stands:
 * - `recording`: its broadcast is on air and segments are being written;
 * - `complete`: the broadcast ended and everything it produced was written;
 * - `interrupted`: the server stopped without ending it (a crash, kill -9): what was written is kept;
 * - `disk-full`: writing stopped on ENOSPC (the live stream went on); what was written before is kept;
 * - `failed`: writing stopped on another file-system error (the log says which).
 */
export type RecordingStatus = 'recording' | 'complete' | 'interrupted' | 'disk-full' | 'failed';

export interface Recording {
  /** The broadcast's id (also in its live media URIs). */
  id: string;
  channel: string;
  /** The channel's title when the broadcast started. */
  title: string;
  startedAt: number;
  /** null while recording. */
  endedAt: number | null;
  /** Seconds of media of its longest rendition. */
  duration: number;
  /** Bytes on disk, every rendition and init segment. */
  bytes: number;
  status: RecordingStatus;
  /** Rendition names, in the order they were first recorded. */
  renditions: string[];
  peakViewers: number;
  /** Chat messages and bullet comments sent during the broadcast (set when it ends). */
  messages: number;
  /** Likes during the broadcast (set when it ends; null when unknown: an interrupted one). */
  likes: number | null;
  /** A thumbnail (thumb.jpg, the middle frame) was made when the recording closed. */
  thumbnail: boolean;
}

export interface RecordingRendition {
  name: string;
  width: number;
  height: number;
  codecs: string[];
  /** Seconds, bytes and segments written. */
  duration: number;
  bytes: number;
  segments: number;
  /** Highest segment bitrate, bits/s (BANDWIDTH of the VOD multivariant playlist). */
  peakBitrate: number;
}

export interface RecordedSegment {
  rendition: string;
  msn: number;
  initId: number;
  duration: number;
  programDateTime: number;
  discontinuity: boolean;
  bytes: number;
}

export interface NewRecording {
  id: string;
  channel: string;
  title: string;
  startedAt: number;
}

/** A channel's own recording settings; null fields follow the server's ('recordings.enabled', 'recordings.renditions'). */
export interface RecordingSettings {
  enabled: boolean | null;
  /** 'top', 'all' or rendition names. */
  renditions: 'top' | 'all' | string[] | null;
}

export interface RecordingListQuery {
  channel?: string;
  /** Newest first; at most this many. */
  limit?: number;
  /** Only those that started before this (paging). */
  before?: number;
}

/**
 * The index of recordings: one row per broadcast, one per recorded rendition and
 * one per written segment, so listing never walks the file system. The files
 * themselves belong to recordings/. The embedded implementation is
 * storage/sqlite/sqlite-recording-store.ts.
 */
export interface RecordingStore {
  /** False when a recording with that id exists already (nothing changes then). */
  create(r: NewRecording): Promise<boolean>;
  addRendition(id: string, r: Pick<RecordingRendition, 'name' | 'width' | 'height' | 'codecs'>): Promise<void>;
  /** Adds an init segment's bytes to the totals. */
  addInitBytes(id: string, rendition: string, bytes: number): Promise<void>;
  /** Indexes a segment written to disk and updates the totals (and the peak viewer count seen so far). */
  addSegment(id: string, segment: RecordedSegment, viewers: number): Promise<void>;
  finish(id: string, end: { endedAt: number; status: RecordingStatus; messages: number; likes: number | null }): Promise<void>;
  setStatus(id: string, status: RecordingStatus): Promise<void>;
  /** Marks the recording's thumbnail as written (or gone). */
  setThumbnail(id: string, present: boolean): Promise<void>;
  get(id: string): Promise<Recording | undefined>;
  list(query?: RecordingListQuery): Promise<Recording[]>;
  renditions(id: string): Promise<RecordingRendition[]>;
  /** A rendition's segments in order. */
  segments(id: string, rendition: string): Promise<RecordedSegment[]>;
  /** True when there was such a recording (its renditions and segments go with it). */
  delete(id: string): Promise<boolean>;
  /** Recordings still marked `recording` (at start: the ones a crash left). */
  unfinished(): Promise<Recording[]>;
  /** Every channel's bytes on disk. */
  channelsWithRecordings(): Promise<{ channel: string; bytes: number }[]>;
  settings(channel: string): Promise<RecordingSettings>;
  setSettings(channel: string, settings: RecordingSettings): Promise<void>;
}
