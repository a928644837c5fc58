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
import { inTransaction, type PgPool } from './postgres-database';

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
  thumbnail: boolean;
  renditions: string[] | null;
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
  discontinuity: boolean;
  bytes: number;
}

const SELECT = `SELECT r.*, ARRAY(SELECT name FROM recording_renditions WHERE recording = r.id ORDER BY ord) AS renditions FROM recordings r`;

const toRecording = (r: RecordingRow): Recording => ({
  id: r.id,
  channel: r.channel,
  title: r.title,
  startedAt: r.started_at,
  endedAt: r.ended_at,
  duration: r.duration,
  bytes: r.bytes,
  status: r.status,
  renditions: r.renditions ?? [],
  peakViewers: r.peak_viewers,
  messages: r.messages,
  likes: r.likes,
  thumbnail: r.thumbnail,
});

/** The recordings index in PostgreSQL: a segment's row and the totals it changes commit in one transaction. */
export class PostgresRecordingStore implements RecordingStore {
  constructor(private readonly pool: PgPool) {}

  async create(r: NewRecording): Promise<boolean> {
    const res = await this.pool.query(
      `INSERT INTO recordings (id, channel, title, started_at, status) VALUES ($1, $2, $3, $4, 'recording') ON CONFLICT (id) DO NOTHING`,
      [r.id, r.channel, r.title, r.startedAt],
    );
    return (res.rowCount ?? 0) > 0;
  }

  async addRendition(id: string, r: Pick<RecordingRendition, 'name' | 'width' | 'height' | 'codecs'>): Promise<void> {
    await inTransaction(this.pool, async (tx) => {
      // The recording's row is locked so that two renditions added at once get distinct places.
      await tx.query('SELECT 1 FROM recordings WHERE id = $1 FOR UPDATE', [id]);
      await tx.query(
        `INSERT INTO recording_renditions (recording, name, ord, width, height, codecs)
         VALUES ($1, $2, (SELECT COUNT(*) FROM recording_renditions WHERE recording = $1), $3, $4, $5)
         ON CONFLICT (recording, name) DO UPDATE SET width = EXCLUDED.width, height = EXCLUDED.height, codecs = EXCLUDED.codecs`,
        [id, r.name, r.width, r.height, r.codecs.join(',')],
      );
    });
  }

  async addInitBytes(id: string, rendition: string, bytes: number): Promise<void> {
    await inTransaction(this.pool, async (tx) => {
      await tx.query('UPDATE recording_renditions SET bytes = bytes + $3 WHERE recording = $1 AND name = $2', [id, rendition, bytes]);
      await tx.query('UPDATE recordings SET bytes = bytes + $2 WHERE id = $1', [id, bytes]);
    });
  }

  async addSegment(id: string, s: RecordedSegment, viewers: number): Promise<void> {
    await inTransaction(this.pool, async (tx) => {
      await tx.query(
        `INSERT INTO recording_segments (recording, rendition, msn, init_id, duration, pdt, discontinuity, bytes)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (recording, rendition, msn) DO UPDATE SET init_id = EXCLUDED.init_id, duration = EXCLUDED.duration, pdt = EXCLUDED.pdt,
           discontinuity = EXCLUDED.discontinuity, bytes = EXCLUDED.bytes`,
        [id, s.rendition, s.msn, s.initId, s.duration, s.programDateTime, s.discontinuity, s.bytes],
      );
      await tx.query(
        `UPDATE recording_renditions SET duration = duration + $3, bytes = bytes + $4, segments = segments + 1,
           peak_bitrate = GREATEST(peak_bitrate, $5) WHERE recording = $1 AND name = $2`,
        [id, s.rendition, s.duration, s.bytes, s.duration > 0 ? (s.bytes * 8) / s.duration : 0],
      );
      await tx.query(
        `UPDATE recordings SET bytes = bytes + $2, peak_viewers = GREATEST(peak_viewers, $3),
           duration = COALESCE((SELECT MAX(duration) FROM recording_renditions WHERE recording = $1), 0) WHERE id = $1`,
        [id, s.bytes, viewers],
      );
    });
  }

  async finish(id: string, end: { endedAt: number; status: RecordingStatus; messages: number; likes: number | null }): Promise<void> {
    await this.pool.query('UPDATE recordings SET ended_at = $2, status = $3, messages = $4, likes = $5 WHERE id = $1', [id, end.endedAt, end.status, end.messages, end.likes]);
  }

  async setStatus(id: string, status: RecordingStatus): Promise<void> {
    await this.pool.query('UPDATE recordings SET status = $2 WHERE id = $1', [id, status]);
  }

  async setThumbnail(id: string, present: boolean): Promise<void> {
    await this.pool.query('UPDATE recordings SET thumbnail = $2 WHERE id = $1', [id, present]);
  }

  async get(id: string): Promise<Recording | undefined> {
    const row = (await this.pool.query<RecordingRow>(`${SELECT} WHERE r.id = $1`, [id])).rows[0];
    return row && toRecording(row);
  }

  async list(query: RecordingListQuery = {}): Promise<Recording[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (query.channel !== undefined) where.push(`r.channel = $${args.push(query.channel)}`);
    if (query.before !== undefined) where.push(`r.started_at < $${args.push(query.before)}`);
    const limit = `$${args.push(query.limit ?? 1000)}`;
    const sql = `${SELECT}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY r.started_at DESC LIMIT ${limit}`;
    return (await this.pool.query<RecordingRow>(sql, args)).rows.map(toRecording);
  }

  async renditions(id: string): Promise<RecordingRendition[]> {
    const { rows } = await this.pool.query<RenditionRow>('SELECT * FROM recording_renditions WHERE recording = $1 ORDER BY ord', [id]);
    return rows.map((r) => ({
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
    const { rows } = await this.pool.query<SegmentRow>('SELECT * FROM recording_segments WHERE recording = $1 AND rendition = $2 ORDER BY msn', [id, rendition]);
    return rows.map((s) => ({
      rendition: s.rendition,
      msn: s.msn,
      initId: s.init_id,
      duration: s.duration,
      programDateTime: s.pdt,
      discontinuity: s.discontinuity,
      bytes: s.bytes,
    }));
  }

  async delete(id: string): Promise<boolean> {
    // Renditions and segments go with it (ON DELETE CASCADE).
    return ((await this.pool.query('DELETE FROM recordings WHERE id = $1', [id])).rowCount ?? 0) > 0;
  }

  async unfinished(): Promise<Recording[]> {
    return (await this.pool.query<RecordingRow>(`${SELECT} WHERE r.status = 'recording' ORDER BY r.started_at`)).rows.map(toRecording);
  }

  async channelsWithRecordings(): Promise<{ channel: string; bytes: number }[]> {
    return (await this.pool.query<{ channel: string; bytes: number }>('SELECT channel, SUM(bytes)::bigint AS bytes FROM recordings GROUP BY channel ORDER BY channel COLLATE "C"')).rows;
  }

  async settings(channel: string): Promise<RecordingSettings> {
    const row = (await this.pool.query<{ enabled: boolean | null; renditions: RecordingSettings['renditions'] }>(
      'SELECT enabled, renditions FROM recording_settings WHERE channel = $1',
      [channel],
    )).rows[0];
    return row ? { enabled: row.enabled, renditions: row.renditions } : { enabled: null, renditions: null };
  }

  async setSettings(channel: string, s: RecordingSettings): Promise<void> {
    await this.pool.query(
      `INSERT INTO recording_settings (channel, enabled, renditions) VALUES ($1, $2, $3)
       ON CONFLICT (channel) DO UPDATE SET enabled = EXCLUDED.enabled, renditions = EXCLUDED.renditions`,
      [channel, s.enabled, s.renditions === null ? null : JSON.stringify(s.renditions)],
    );
  }
}
