import crypto from 'node:crypto';
import type { AnalyticsSummary, BroadcastFigures, ViewerSample } from './analytics-types';

/** Who watches through the chat at a sample: the count the chat announces, and this node's viewer keys (chat ids, player addresses). */
export interface ChatAudience {
  count: number;
  keys: string[];
}

/**
 * One broadcast's engagement figures while it is on air, from what the
 * server sees anyway (HLS requests, chat viewers, messages, likes, shares).
 * Distinct viewers and chatters are counted as salted hashes kept in memory
 * only: the salt is this broadcast's, made here and never written, so the
 * hashes mean nothing once the tally is dropped at the broadcast's end; only
 * the counts are stored.
 */
export class BroadcastTally {
  readonly summary: BroadcastFigures;
  private readonly salt = crypto.randomBytes(16);
  /** HLS addresses since the sample before (the next sample's HLS viewers). */
  private readonly hlsWindow = new Set<string>();
  /**
   * The addresses already in hlsWindow: a viewer's ~12 requests a second are hashed once per sample, not each time.
   * Kept in memory until the next sample only (cleared with the window), never written.
   */
  private readonly hlsWindowAddresses = new Set<string>();
  private readonly hlsSeen = new Set<string>();
  private readonly chatSeen = new Set<string>();
  private readonly chatters = new Set<string>();

  constructor(
    init: { broadcastId: string; channel: string; startedAt: number; sampleIntervalMs: number },
    /** The channel's like total when the broadcast began (likes are the total's growth); set once it has been read. */
    public likesAtStart: number,
  ) {
    this.summary = {
      ...init,
      endedAt: null,
      status: 'live',
      sampledAt: init.startedAt,
      peakViewers: 0,
      watchSeconds: 0,
      uniqueViewers: 0,
      messages: 0,
      danmaku: 0,
      chatters: 0,
      likes: 0,
      shares: 0,
      renditions: {},
    };
  }

  private hash(key: string): string {
    return crypto.createHash('sha256').update(this.salt).update(key).digest('base64url').slice(0, 16);
  }

  /** An HLS request (playlist, part, segment) of the channel from `address`. */
  hlsRequest(address: string): void {
    if (this.hlsWindowAddresses.has(address)) return; // hashed and added since the sample before
    this.hlsWindowAddresses.add(address);
    const h = this.hash(address);
    this.hlsWindow.add(h);
    this.hlsSeen.add(h);
  }

  /** A part or segment of `rendition` served, `bytes` long. */
  mediaServed(rendition: string, bytes: number): void {
    const r = (this.summary.renditions[rendition] ??= { requests: 0, bytes: 0 });
    r.requests += 1;
    r.bytes += bytes;
  }

  message(kind: 'chat' | 'danmaku', authorId: string): void {
    if (kind === 'danmaku') this.summary.danmaku += 1;
    else this.summary.messages += 1;
    this.chatters.add(this.hash(authorId));
    this.summary.chatters = this.chatters.size;
  }

  share(): void {
    this.summary.shares += 1;
  }

  /** Takes a sample at `at`: the viewers since the sample before are integrated into the watch time. */
  sample(at: number, chat: ChatAudience, likesNow: number): ViewerSample {
    for (const key of chat.keys) this.chatSeen.add(this.hash(key));
    const hls = this.hlsWindow.size;
    this.hlsWindow.clear();
    this.hlsWindowAddresses.clear();
    // A chat user mostly plays the stream too: the two counts overlap, the larger is the lower bound of viewers.
    const viewers = Math.max(hls, chat.count);
    const s = this.summary;
    s.watchSeconds += (viewers * Math.max(0, at - s.sampledAt)) / 1000;
    s.sampledAt = Math.max(s.sampledAt, at);
    s.peakViewers = Math.max(s.peakViewers, viewers);
    s.uniqueViewers = Math.max(this.hlsSeen.size, this.chatSeen.size, s.peakViewers);
    s.likes = Math.max(0, likesNow - this.likesAtStart);
    return { at, hls, chat: chat.count, viewers };
  }

  /** The broadcast is over (complete) or the server stops under it (interrupted): the last figures, the hashes dropped. */
  close(at: number, status: 'complete' | 'interrupted'): void {
    this.summary.endedAt = at;
    this.summary.status = status;
    for (const set of [this.hlsWindow, this.hlsWindowAddresses, this.hlsSeen, this.chatSeen, this.chatters]) set.clear();
  }
}

/** The averages a summary implies: seconds on air (to its last sample) and the time-weighted mean of viewers. */
export function withAverages(s: BroadcastFigures): AnalyticsSummary {
  const durationSeconds = Math.max(0, ((s.endedAt ?? s.sampledAt) - s.startedAt) / 1000);
  const sampled = Math.max(0, (s.sampledAt - s.startedAt) / 1000);
  return { ...s, durationSeconds, averageViewers: sampled > 0 ? Math.round((s.watchSeconds / sampled) * 100) / 100 : 0 };
}
