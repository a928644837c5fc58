/** Requests and bytes of one rendition's parts and segments served during a broadcast. */
export interface RenditionWatched {
  requests: number;
  bytes: number;
}

/** One broadcast's engagement figures: counts only, no per-person data (analytics/). */
export interface BroadcastFigures {
  /** The broadcast's id (= its recording's id). */
  broadcastId: string;
  channel: string;
  startedAt: number;
  /** When it ended; null while on air (or cut by a crash until the next start closes it). */
  endedAt: number | null;
  /** live: on air; complete: ended normally; interrupted: the server stopped without ending it (a crash). */
  status: 'live' | 'complete' | 'interrupted';
  sampleIntervalMs: number;
  /** The last sample's time (the figures below are as of it). */
  sampledAt: number;
  /** Most viewers in one sample. */
  peakViewers: number;
  /** Viewer-seconds: each sample's viewers × the time since the sample before. */
  watchSeconds: number;
  /** Distinct viewers over the broadcast: the larger of distinct HLS addresses and distinct chat viewers. */
  uniqueViewers: number;
  /** Chat messages (kind 'chat'). */
  messages: number;
  danmaku: number;
  /** Distinct authors of messages and danmaku. */
  chatters: number;
  likes: number;
  shares: number;
  renditions: Record<string, RenditionWatched>;
}

/** One viewers sample: HLS viewers (distinct addresses fetching the channel's HLS since the sample before), chat viewers, and the larger of the two. */
export interface ViewerSample {
  at: number;
  hls: number;
  chat: number;
  viewers: number;
}

/** Per-broadcast analytics. The embedded implementation is storage/sqlite/sqlite-analytics-store.ts. */
export interface AnalyticsStore {
  /** Writes the broadcast's figures as they stand (creating its row), with a new sample when given, in one transaction. */
  save(summary: BroadcastFigures, sample?: ViewerSample): Promise<void>;
  get(broadcastId: string): Promise<BroadcastFigures | undefined>;
  /** Newest first, of one channel or of all. */
  list(channel: string | undefined, limit: number): Promise<BroadcastFigures[]>;
  samples(broadcastId: string): Promise<ViewerSample[]>;
  /** Marks every 'live' broadcast interrupted, ended at its last sample (at start: what a crash left open); returns how many. */
  closeInterrupted(): Promise<number>;
}
