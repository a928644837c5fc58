/** Like totals per channel. The embedded implementation is storage/sqlite/sqlite-like-store.ts. */
export interface LikeStore {
  /** Adds atomically (several processes may share the store) and returns the new total. */
  add(channel: string, delta: number): Promise<number>;
  total(channel: string): Promise<number>;
}
