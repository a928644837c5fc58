import type { Stores } from '../stores';
import { openDatabase, type Db } from './sqlite-database';
import { SqliteAnalyticsStore } from './sqlite-analytics-store';
import { SqliteChannelStore } from './sqlite-channel-store';
import { SqliteChatMessageStore } from './sqlite-chat-message-store';
import { SqliteChatModerationStore } from './sqlite-chat-moderation-store';
import { SqliteLikeStore } from './sqlite-like-store';
import { SqliteModeratorTokenStore } from './sqlite-moderator-token-store';
import { SqliteRecordingStore } from './sqlite-recording-store';
import { SqliteShareStore } from './sqlite-share-store';
import { SqliteTranscodeProfileStore } from './sqlite-transcode-profile-store';
import { SqliteWebhookAttemptStore } from './sqlite-webhook-attempt-store';

/** Every store on one SQLite database (the embedded default). */
export class SqliteStores implements Stores {
  readonly channels: SqliteChannelStore;
  readonly messages: SqliteChatMessageStore;
  readonly moderation: SqliteChatModerationStore;
  readonly moderatorTokens: SqliteModeratorTokenStore;
  readonly likes: SqliteLikeStore;
  readonly profiles: SqliteTranscodeProfileStore;
  readonly recordings: SqliteRecordingStore;
  readonly shares: SqliteShareStore;
  readonly webhookAttempts: SqliteWebhookAttemptStore;
  readonly analytics: SqliteAnalyticsStore;

  /** On an open, migrated database (tests may keep `db` to look at rows). */
  constructor(readonly db: Db) {
    this.channels = new SqliteChannelStore(db);
    this.messages = new SqliteChatMessageStore(db);
    this.moderation = new SqliteChatModerationStore(db);
    this.moderatorTokens = new SqliteModeratorTokenStore(db);
    this.likes = new SqliteLikeStore(db);
    this.profiles = new SqliteTranscodeProfileStore(db);
    this.recordings = new SqliteRecordingStore(db);
    this.shares = new SqliteShareStore(db);
    this.webhookAttempts = new SqliteWebhookAttemptStore(db);
    this.analytics = new SqliteAnalyticsStore(db);
  }

  /** Opens (creating and migrating) `<dataDir>/liveroom.sqlite`. */
  static open(dataDir: string): SqliteStores {
    return new SqliteStores(openDatabase(dataDir));
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
