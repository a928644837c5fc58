import type { ShareMethod } from '../core/events';

export type { ShareMethod } from '../core/events';
export const SHARE_METHODS: readonly ShareMethod[] = ['native', 'copy', 'embed'];

/** Share counts: all of them, and by method. */
export interface ShareCounts {
  total: number;
  byMethod: Record<ShareMethod, number>;
}

/** Share counts per channel and per broadcast. The embedded implementation is storage/sqlite/sqlite-share-store.ts. */
export interface ShareStore {
  /** Counts one share atomically; `broadcastId` is the broadcast on air then, or null. */
  add(channel: string, broadcastId: string | null, method: ShareMethod): Promise<void>;
  /** The channel's counts, over all broadcasts, or over one. */
  counts(channel: string, broadcastId?: string): Promise<ShareCounts>;
}
