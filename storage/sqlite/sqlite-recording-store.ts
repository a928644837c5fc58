import type {
  NewRecording,
  RecordedSegment,
  Recording,
  RecordingListQuery,
  RecordingRendition,
  RecordingSettings,
  RecordingStatus,
  RecordingStore,
} from '../recording-store';
import type { Db } from './sqlite-database';

interface RecordingRow {
  id: string;
  channel: string;
  title: string;
  started_at: number;
  ended_at: number | null;
  duration: number;
  bytes: number;
  status: RecordingStatus;
  peak_viewers: number;
  messages: number;
  likes: number | null;
  thumbnail: number;
  renditions: string | null;
}

interface RenditionRow {
  name: string;
  width: number;
  height: number;
  codecs: string;
  duration: number;
  bytes: number;
  segments: number;
  peak_bitrate: number;
}

interface SegmentRow {
  rendition: string;
  msn: number;
  init_id: number;
  duration: number;
  pdt: number;
  discontinuity: number;
  bytes: number;
}

const SELECT = `SELECT r.*, (SELECT group_concat(name, ',') FROM (SELECT name FROM recording_renditions WHERE recording = r.id ORDER BY ord)) AS renditions
                FROM recordings r`;

const toRecording = (r: RecordingRow): Recording => ({
  id: r.id,
  channel: r.channel,
  title: r.title,
  startedAt: r.started_at,
  endedAt: r.ended_at,
  duration: r.duration,
  bytes: r.bytes,
  status: r.status,
  renditions: r.renditions ? r.renditions.split(',') : [],
  peakViewers: r.peak_viewers,
  messages: r.messages,
  likes: r.likes,
  thumbnail: r.thumbnail === 1,
});

/** The recordings index in SQLite: a segment's row and the totals it changes are written in one transaction. */
export class SqliteRecordingStore implements RecordingStore {
  private readonly q;
  private readonly addSegmentTx;

  constructor(private readonly db: Db) {
    this.q = {
      create: db.prepare(`INSERT INTO recordings (id, channel, title, started_at, status) VALUES (?, ?, ?, ?, 'recording') ON CONFLICT(id) DO NOTHING`),
      addRendition: db.prepare(
        `INSERT INTO recording_renditions (recording, name, ord, width, height, codecs)
         VALUES (@id, @name, (SELECT COUNT(*) FROM recording_renditions WHERE recording = @id), @width, @height, @codecs)
         ON CONFLICT(recording, name) DO UPDATE SET width = excluded.width, height = excluded.height, codecs = excluded.codecs`,
      ),
      addInitBytes: db.prepare('UPDATE recording_renditions SET bytes = bytes + @bytes WHERE recording = @id AND name = @rendition'),
      addInitBytesTotal: db.prepare('UPDATE recordings SET bytes = bytes + ? WHERE id = ?'),
      insertSegment: db.prepare(
        `INSERT OR REPLACE INTO recording_segments (recording, rendition, msn, init_id, duration, pdt, discontinuity, bytes)
         VALUES (@id, @rendition, @msn, @initId, @duration, @pdt, @discontinuity, @bytes)`,
      ),
      segmentTotals: db.prepare(
        `UPDATE recording_renditions SET duration = duration + @duration, bytes = bytes + @bytes, segments = segments + 1,
           peak_bitrate = MAX(peak_bitrate, @bitrate) WHERE recording = @id AND name = @rendition`,
      ),
      recordingTotals: db.prepare(
        `UPDATE recordings SET bytes = bytes + @bytes, peak_viewers = MAX(peak_viewers, @viewers),
           duration = (SELECT MAX(duration) FROM recording_renditions WHERE recording = @id) WHERE id = @id`,
      ),
      finish: db.prepare('UPDATE recordings SET ended_at = @endedAt, status = @status, messages = @messages, likes = @likes WHERE id = @id'),
      setStatus: db.prepare('UPDATE recordings SET status = ? WHERE id = ?'),
      setThumbnail: db.prepare('UPDATE recordings SET thumbnail = ? WHERE id = ?'),
      get: db.prepare(`${SELECT} WHERE r.id = ?`),
      renditions: db.prepare('SELECT * FROM recording_renditions WHERE recording = ? ORDER BY ord'),
      segments: db.prepare('SELECT * FROM recording_segments WHERE recording = ? AND rendition = ? ORDER BY msn'),
      deleteSegments: db.prepare('DELETE FROM recording_segments WHERE recording = ?'),
      deleteRenditions: db.prepare('DELETE FROM recording_renditions WHERE recording = ?'),
      delete: db.prepare('DELETE FROM recordings WHERE id = ?'),
      unfinished: db.prepare(`${SELECT} WHERE r.status = 'recording' ORDER BY r.started_at`),
      perChannel: db.prepare('SELECT channel, SUM(bytes) AS bytes FROM recordings GROUP BY channel ORDER BY channel'),
      settings: db.prepare('SELECT enabled, renditions FROM recording_settings WHERE channel = ?'),
      setSettings: db.prepare(
        `INSERT INTO recording_settings (channel, enabled, renditions) VALUES (?, ?, ?)
         ON CONFLICT(channel) DO UPDATE SET enabled = excluded.enabled, renditions = excluded.renditions`,
      ),
    };
    this.addSegmentTx = db.transaction((id: string, s: RecordedSegment, viewers: number) => {
      const row = { id, rendition: s.rendition, msn: s.msn, initId: s.initId, duration: s.duration, pdt: s.programDateTime, discontinuity: s.discontinuity ? 1 : 0, bytes: s.bytes };
      this.q.insertSegment.run(row);
      this.q.segmentTotals.run({ id, rendition: s.rendition, duration: s.duration, bytes: s.bytes, bitrate: s.duration > 0 ? (s.bytes * 8) / s.duration : 0 });
      this.q.recordingTotals.run({ id, bytes: s.bytes, viewers });
    });
  }

  async create(r: NewRecording): Promise<boolean> {
    return this.q.create.run(r.id, r.channel, r.title, r.startedAt).changes > 0;
  }

  async addRendition(id: string, r: Pick<RecordingRendition, 'name' | 'width' | 'height' | 'codecs'>): Promise<void> {
    this.q.addRendition.run({ id, name: r.name, width: r.width, height: r.height, codecs: r.codecs.join(',') });
  }

  async addInitBytes(id: string, rendition: string, bytes: number): Promise<void> {
    this.db.transaction(() => {
      this.q.addInitBytes.run({ id, rendition, bytes });
      this.q.addInitBytesTotal.run(bytes, id);
    })();
  }

  async addSegment(id: string, segment: RecordedSegment, viewers: number): Promise<void> {
    this.addSegmentTx(id, segment, viewers);
  }

  async finish(id: string, end: { endedAt: number; status: RecordingStatus; messages: number; likes: number | null }): Promise<void> {
    this.q.finish.run({ id, ...end });
  }

  async setStatus(id: string, status: RecordingStatus): Promise<void> {
    this.q.setStatus.run(status, id);
  }

  async setThumbnail(id: string, present: boolean): Promise<void> {
    this.q.setThumbnail.run(present ? 1 : 0, id);
  }

  async get(id: string): Promise<Recording | undefined> {
    const row = this.q.get.get(id) as RecordingRow | undefined;
    return row && toRecording(row);
  }

  async list(query: RecordingListQuery = {}): Promise<Recording[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (query.channel !== undefined) (where.push('r.channel = ?'), args.push(query.channel));
    if (query.before !== undefined) (where.push('r.started_at < ?'), args.push(query.before));
    const sql = `${SELECT}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY r.started_at DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...args, query.limit ?? 1000) as RecordingRow[]).map(toRecording);
  }

  async renditions(id: string): Promise<RecordingRendition[]> {
    return (this.q.renditions.all(id) as RenditionRow[]).map((r) => ({
      name: r.name,
      width: r.width,
      height: r.height,
      codecs: r.codecs ? r.codecs.split(',') : [],
      duration: r.duration,
      bytes: r.bytes,
      segments: r.segments,
      peakBitrate: r.peak_bitrate,
    }));
  }

  async segments(id: string, rendition: string): Promise<RecordedSegment[]> {
    return (this.q.segments.all(id, rendition) as SegmentRow[]).map((s) => ({
      rendition: s.rendition,
      msn: s.msn,
      initId: s.init_id,
      duration: s.duration,
      programDateTime: s.pdt,
      discontinuity: s.discontinuity === 1,
      bytes: s.bytes,
    }));
  }

  async delete(id: string): Promise<boolean> {
    return this.db.transaction(() => {
      this.q.deleteSegments.run(id);
      this.q.deleteRenditions.run(id);
      return this.q.delete.run(id).changes > 0;
    })();
  }

  async unfinished(): Promise<Recording[]> {
    return (this.q.unfinished.all() as RecordingRow[]).map(toRecording);
  }

  async channelsWithRecordings(): Promise<{ channel: string; bytes: number }[]> {
    return this.q.perChannel.all() as { channel: string; bytes: number }[];
  }

  async settings(channel: string): Promise<RecordingSettings> {
    const row = this.q.settings.get(channel) as { enabled: number | null; renditions: string | null } | undefined;
    if (!row) return { enabled: null, renditions: null };
    const r = row.renditions;
    return {
      enabled: row.enabled === null ? null : row.enabled === 1,
      renditions: r === null ? null : r === 'top' || r === 'all' ? r : (JSON.parse(r) as string[]),
    };
  }

  async setSettings(channel: string, s: RecordingSettings): Promise<void> {
    const renditions = s.renditions === null ? null : Array.isArray(s.renditions) ? JSON.stringify(s.renditions) : s.renditions;
    this.q.setSettings.run(channel, s.enabled === null ? null : s.enabled ? 1 : 0, renditions);
  }
}
