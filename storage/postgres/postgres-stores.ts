import type { Stores } from '../stores';
import { createPool, type PgPool } from './postgres-database';
import { migrate } from './postgres-migrations';
import { PostgresAnalyticsStore } from './postgres-analytics-store';
import { PostgresChannelStore } from './postgres-channel-store';
import { PostgresChatMessageStore } from './postgres-chat-message-store';
import { PostgresChatModerationStore } from './postgres-chat-moderation-store';
import { PostgresLikeStore } from './postgres-like-store';
import { PostgresModeratorTokenStore } from './postgres-moderator-token-store';
import { PostgresRecordingStore } from './postgres-recording-store';
import { PostgresShareStore } from './postgres-share-store';
import { PostgresTranscodeProfileStore } from './postgres-transcode-profile-store';
import { PostgresWebhookAttemptStore } from './postgres-webhook-attempt-store';

/** Every store on one PostgreSQL database ('databaseUrl'), shared by every node pointed at it. */
export class PostgresStores implements Stores {
  readonly channels: PostgresChannelStore;
  readonly messages: PostgresChatMessageStore;
  readonly moderation: PostgresChatModerationStore;
  readonly moderatorTokens: PostgresModeratorTokenStore;
  readonly likes: PostgresLikeStore;
  readonly profiles: PostgresTranscodeProfileStore;
  readonly recordings: PostgresRecordingStore;
  readonly shares: PostgresShareStore;
  readonly webhookAttempts: PostgresWebhookAttemptStore;
  readonly analytics: PostgresAnalyticsStore;

  /** On a pool whose database is migrated (tests may keep `pool` to look at rows). */
  constructor(readonly pool: PgPool) {
    this.channels = new PostgresChannelStore(pool);
    this.messages = new PostgresChatMessageStore(pool);
    this.moderation = new PostgresChatModerationStore(pool);
    this.moderatorTokens = new PostgresModeratorTokenStore(pool);
    this.likes = new PostgresLikeStore(pool);
    this.profiles = new PostgresTranscodeProfileStore(pool);
    this.recordings = new PostgresRecordingStore(pool);
    this.shares = new PostgresShareStore(pool);
    this.webhookAttempts = new PostgresWebhookAttemptStore(pool);
    this.analytics = new PostgresAnalyticsStore(pool);
  }

  /** Connects to `url` and brings the schema up to date (under the migration lock); the pool is closed on failure. */
  static async connect(url: string): Promise<PostgresStores> {
    const pool = createPool(url);
    try {
      await migrate(pool);
    } catch (err) {
      await pool.end().catch(() => {});
      throw err;
    }
    return new PostgresStores(pool);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
