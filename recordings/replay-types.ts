/**
 * The public replay API's JSON, shared by the server (server/replay-api-routes.ts)
 * and the replay page (player/replay-page.ts), like chat/chat-events.ts for the
 * chat: pure types, no imports beyond that protocol file.
 */
import type { ChatMessage } from '../chat/chat-events';

/** A past (or still running) broadcast, as viewers see it. */
export interface ReplaySummary {
  id: string;
  channel: string;
  title: string;
  startedAt: number;
  /** null while the broadcast is on air. */
  endedAt: number | null;
  /** Seconds. */
  duration: number;
  renditions: string[];
  peakViewers: number;
  messages: number;
  likes: number | null;
  /** The recording's multivariant playlist, relative to the server root. */
  playlist: string;
  /** The replay page. */
  page: string;
  /** Its JPEG (the middle frame, 320 px wide), relative to the server root; null when there is none (yet). */
  thumbnail: string | null;
}

export interface ReplayList {
  channel: string;
  replays: ReplaySummary[];
}

/** The broadcast's chat: every message and bullet comment sent while it was on air, oldest first. */
export interface ReplayMessages {
  id: string;
  from: number;
  to: number;
  messages: ChatMessage[];
  /** More were sent than this answer holds (the first ones are given). */
  truncated: boolean;
}
