import type { Recording } from '../storage/recording-store';
import { recordingsToDelete } from './recording-retention';

const DAY = 86_400_000;
const MIB = 1024 * 1024;
const now = 100 * DAY;
const rec = (id: string, channel: string, ageDays: number, mib: number, status: Recording['status'] = 'complete'): Recording => ({
  id, channel, title: '', startedAt: now - ageDays * DAY, endedAt: now - ageDays * DAY + 1000, duration: 1, bytes: mib * MIB, status, renditions: ['source'], peakViewers: 0, messages: 0, likes: 0, thumbnail: false,
});

describe('recordingsToDelete', () => {
  const all = [rec('a1', 'a', 40, 100), rec('a2', 'a', 20, 100), rec('a3', 'a', 1, 100), rec('b1', 'b', 35, 10), rec('a4', 'a', 0, 100, 'recording')];

  it('keeps everything with no limits', () => {
    expect(recordingsToDelete(all, { maxAgeDays: 0, maxSizeMbPerChannel: 0 }, now, () => false)).toEqual([]);
  });

  it('deletes by age in every channel, oldest first', () => {
    expect(recordingsToDelete(all, { maxAgeDays: 30, maxSizeMbPerChannel: 0 }, now, () => false).map((r) => r.id)).toEqual(['a1', 'b1']);
  });

  it("deletes a channel's oldest until it fits its cap, counting the one on air but never deleting it", () => {
    expect(recordingsToDelete(all, { maxAgeDays: 0, maxSizeMbPerChannel: 250 }, now, () => false).map((r) => r.id)).toEqual(['a1', 'a2']);
    expect(recordingsToDelete(all, { maxAgeDays: 0, maxSizeMbPerChannel: 50 }, now, () => false).map((r) => r.id)).toEqual(['a1', 'a2', 'a3']);
    expect(recordingsToDelete(all, { maxAgeDays: 0, maxSizeMbPerChannel: 250 }, now, (id) => id === 'a1').map((r) => r.id)).toEqual(['a2', 'a3']);
  });
});
