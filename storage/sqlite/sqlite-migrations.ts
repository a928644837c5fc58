import { hashSecret } from '../../core/secrets';
import type { Db } from './sqlite-database';

/** SQL, or a step that needs code (a digest SQLite cannot compute); each runs inside the migration transaction. */
export type Migration = string | ((db: Db) => void);

/** Schema migrations, applied in order; index + 1 is the schema version (PRAGMA user_version). Never edit a shipped one: append. */
export const MIGRATIONS: Migration[] = [
  `CREATE TABLE channels (
     name        TEXT PRIMARY KEY,
     title       TEXT NOT NULL,
     profile     TEXT,
     created_at  INTEGER NOT NULL
   );
   CREATE TABLE stream_keys (
     id          TEXT PRIMARY KEY,
     channel     TEXT NOT NULL REFERENCES channels(name) ON DELETE CASCADE,
     key         TEXT NOT NULL UNIQUE,
     label       TEXT NOT NULL,
     created_at  INTEGER NOT NULL,
     revoked_at  INTEGER
   );
   CREATE INDEX stream_keys_channel ON stream_keys(channel);
   CREATE TABLE settings (
     name        TEXT PRIMARY KEY,
     value       TEXT NOT NULL
   );`,
  // chat/: messages, viewers' public ids, moderation, likes, moderator tokens.
  `CREATE TABLE chat_messages (
     seq          INTEGER PRIMARY KEY AUTOINCREMENT,
     id           TEXT NOT NULL UNIQUE,
     channel      TEXT NOT NULL,
     ts           INTEGER NOT NULL,
     kind         TEXT NOT NULL CHECK (kind IN ('chat', 'danmaku')),
     text         TEXT NOT NULL,
     mode         TEXT,
     color        TEXT,
     author_id    TEXT NOT NULL,
     author_name  TEXT NOT NULL,
     author_role  TEXT NOT NULL
   );
   CREATE INDEX chat_messages_channel ON chat_messages(channel, seq);
   CREATE INDEX chat_messages_author ON chat_messages(channel, author_id, ts);
   CREATE TABLE chat_users (
     id           TEXT PRIMARY KEY,
     name         TEXT NOT NULL,
     address      TEXT NOT NULL,
     first_seen   INTEGER NOT NULL,
     last_seen    INTEGER NOT NULL
   );
   CREATE TABLE chat_sanctions (
     id           INTEGER PRIMARY KEY AUTOINCREMENT,
     channel      TEXT NOT NULL,
     kind         TEXT NOT NULL CHECK (kind IN ('timeout', 'ban')),
     user_id      TEXT NOT NULL,
     address      TEXT,
     reason       TEXT,
     until        INTEGER,
     created_at   INTEGER NOT NULL,
     created_by   TEXT NOT NULL,
     lifted_at    INTEGER,
     lifted_by    TEXT
   );
   CREATE INDEX chat_sanctions_user ON chat_sanctions(channel, user_id);
   CREATE INDEX chat_sanctions_address ON chat_sanctions(channel, address);
   CREATE TABLE chat_moderation_log (
     id             INTEGER PRIMARY KEY AUTOINCREMENT,
     channel        TEXT NOT NULL,
     ts             INTEGER NOT NULL,
     action         TEXT NOT NULL,
     actor_id       TEXT NOT NULL,
     actor_name     TEXT NOT NULL,
     actor_role     TEXT NOT NULL,
     target_user_id TEXT,
     target_message_id TEXT,
     detail         TEXT NOT NULL
   );
   CREATE INDEX chat_moderation_log_channel ON chat_moderation_log(channel, ts);
   CREATE TABLE chat_channel_settings (
     channel           TEXT PRIMARY KEY,
     slow_mode_seconds INTEGER NOT NULL
   );
   CREATE TABLE chat_blocked_words (
     channel      TEXT NOT NULL,
     word         TEXT NOT NULL,
     created_at   INTEGER NOT NULL,
     PRIMARY KEY (channel, word)
   );
   CREATE TABLE chat_likes (
     channel      TEXT PRIMARY KEY,
     total        INTEGER NOT NULL
   );
   CREATE TABLE chat_moderator_tokens (
     id           TEXT PRIMARY KEY,
     channel      TEXT NOT NULL,
     label        TEXT NOT NULL,
     token_hash   TEXT NOT NULL UNIQUE,
     created_at   INTEGER NOT NULL,
     revoked_at   INTEGER,
     last_used_at INTEGER
   );
   CREATE INDEX chat_moderator_tokens_channel ON chat_moderator_tokens(channel);`,
  // transcoder/: operator-defined transcode profiles (built-ins live in code); channels.profile names one.
  `CREATE TABLE transcode_profiles (
     name        TEXT PRIMARY KEY,
     body        TEXT NOT NULL,
     created_at  INTEGER NOT NULL,
     updated_at  INTEGER NOT NULL
   );`,
  // Stream keys are kept only as their SHA-256 (core/secrets.ts): existing plaintext keys are hashed in place.
  // SQLite cannot drop a UNIQUE column, so the table is rebuilt; nothing references it. secure_delete
  // overwrites the old table's pages instead of only freeing them, so no plaintext key stays in the file.
  (db) => {
    db.pragma('secure_delete = ON');
    db.function('lr_hash_secret', { deterministic: true }, (key: unknown) => hashSecret(String(key)));
    db.exec(`CREATE TABLE stream_keys_hashed (
       id          TEXT PRIMARY KEY,
       channel     TEXT NOT NULL REFERENCES channels(name) ON DELETE CASCADE,
       key_hash    TEXT NOT NULL UNIQUE,
       label       TEXT NOT NULL,
       created_at  INTEGER NOT NULL,
       revoked_at  INTEGER
     );
     INSERT INTO stream_keys_hashed (id, channel, key_hash, label, created_at, revoked_at)
       SELECT id, channel, lr_hash_secret(key), label, created_at, revoked_at FROM stream_keys;
     DROP TABLE stream_keys;
     ALTER TABLE stream_keys_hashed RENAME TO stream_keys;
     CREATE INDEX stream_keys_channel ON stream_keys(channel);`);
  },
  // chat/: a token proves the moderator role, or the streamer's (badge and moderation, no administration).
  `ALTER TABLE chat_moderator_tokens ADD COLUMN role TEXT NOT NULL DEFAULT 'moderator' CHECK (role IN ('moderator', 'streamer'));`,
  // chat/: retention ('chat.retentionDays') deletes by age across channels; these keep that from scanning whole tables.
  `CREATE INDEX chat_messages_ts ON chat_messages(ts);
   CREATE INDEX chat_users_last_seen ON chat_users(last_seen);
   CREATE INDEX chat_moderation_log_ts ON chat_moderation_log(ts);`,
  // recordings/: every broadcast's recording, its renditions and its segments (the files are under the recordings folder);
  // per-channel recording settings; replays read a broadcast's chat by channel and time.
  `CREATE TABLE recordings (
     id            TEXT PRIMARY KEY,
     channel       TEXT NOT NULL,
     title         TEXT NOT NULL,
     started_at    INTEGER NOT NULL,
     ended_at      INTEGER,
     duration      REAL NOT NULL DEFAULT 0,
     bytes         INTEGER NOT NULL DEFAULT 0,
     status        TEXT NOT NULL CHECK (status IN ('recording', 'complete', 'interrupted', 'disk-full', 'failed')),
     peak_viewers  INTEGER NOT NULL DEFAULT 0,
     messages      INTEGER NOT NULL DEFAULT 0,
     likes         INTEGER
   );
   CREATE INDEX recordings_channel ON recordings(channel, started_at);
   CREATE INDEX recordings_started ON recordings(started_at);
   CREATE INDEX recordings_status ON recordings(status);
   CREATE TABLE recording_renditions (
     recording     TEXT NOT NULL REFERENCES recordings(id) ON DELETE CASCADE,
     name          TEXT NOT NULL,
     ord           INTEGER NOT NULL,
     width         INTEGER NOT NULL,
     height        INTEGER NOT NULL,
     codecs        TEXT NOT NULL,
     duration      REAL NOT NULL DEFAULT 0,
     bytes         INTEGER NOT NULL DEFAULT 0,
     segments      INTEGER NOT NULL DEFAULT 0,
     peak_bitrate  REAL NOT NULL DEFAULT 0,
     PRIMARY KEY (recording, name)
   );
   CREATE TABLE recording_segments (
     recording     TEXT NOT NULL,
     rendition     TEXT NOT NULL,
     msn           INTEGER NOT NULL,
     init_id       INTEGER NOT NULL,
     duration      REAL NOT NULL,
     pdt           INTEGER NOT NULL,
     discontinuity INTEGER NOT NULL,
     bytes         INTEGER NOT NULL,
     PRIMARY KEY (recording, rendition, msn),
     FOREIGN KEY (recording, rendition) REFERENCES recording_renditions(recording, name) ON DELETE CASCADE
   ) WITHOUT ROWID;
   CREATE TABLE recording_settings (
     channel       TEXT PRIMARY KEY,
     enabled       INTEGER,
     renditions    TEXT
   );
   CREATE INDEX chat_messages_channel_ts ON chat_messages(channel, ts);`,
  // recordings/: a recording's thumbnail (thumb.jpg in its folder) exists.
  `ALTER TABLE recordings ADD COLUMN thumbnail INTEGER NOT NULL DEFAULT 0;`,
  // webhooks/: every delivery attempt, newest kept ('webhookDelivery.logRetention').
  `CREATE TABLE webhook_attempts (
     seq          INTEGER PRIMARY KEY AUTOINCREMENT,
     delivery_id  TEXT NOT NULL,
     event_id     TEXT NOT NULL,
     event        TEXT NOT NULL,
     url          TEXT NOT NULL,
     attempt      INTEGER NOT NULL,
     status       INTEGER,
     error        TEXT,
     duration_ms  INTEGER NOT NULL,
     at           INTEGER NOT NULL
   );`,
  // analytics/: engagement figures per broadcast (counts only) and its viewers samples.
  `CREATE TABLE broadcast_analytics (
     broadcast_id       TEXT PRIMARY KEY,
     channel            TEXT NOT NULL,
     started_at         INTEGER NOT NULL,
     ended_at           INTEGER,
     status             TEXT NOT NULL CHECK (status IN ('live', 'complete', 'interrupted')),
     sample_interval_ms INTEGER NOT NULL,
     sampled_at         INTEGER NOT NULL,
     peak_viewers       INTEGER NOT NULL DEFAULT 0,
     watch_seconds      REAL NOT NULL DEFAULT 0,
     unique_viewers     INTEGER NOT NULL DEFAULT 0,
     messages           INTEGER NOT NULL DEFAULT 0,
     danmaku            INTEGER NOT NULL DEFAULT 0,
     chatters           INTEGER NOT NULL DEFAULT 0,
     likes              INTEGER NOT NULL DEFAULT 0,
     shares             INTEGER NOT NULL DEFAULT 0,
     renditions         TEXT NOT NULL DEFAULT '{}'
   );
   CREATE INDEX broadcast_analytics_channel ON broadcast_analytics(channel, started_at);
   CREATE TABLE broadcast_analytics_samples (
     broadcast_id  TEXT NOT NULL REFERENCES broadcast_analytics(broadcast_id) ON DELETE CASCADE,
     at            INTEGER NOT NULL,
     hls           INTEGER NOT NULL,
     chat          INTEGER NOT NULL,
     viewers       INTEGER NOT NULL,
     PRIMARY KEY (broadcast_id, at)
   ) WITHOUT ROWID;`,
  // Channel profile (description, offline message on the watch page) and share counts, per channel and broadcast
  // ('' when none was live), by how the link went out.
  `ALTER TABLE channels ADD COLUMN description TEXT NOT NULL DEFAULT '';
   ALTER TABLE channels ADD COLUMN offline_message TEXT NOT NULL DEFAULT '';
   CREATE TABLE channel_shares (
     channel      TEXT NOT NULL,
     broadcast    TEXT NOT NULL,
     method       TEXT NOT NULL CHECK (method IN ('native', 'copy', 'embed')),
     total        INTEGER NOT NULL,
     PRIMARY KEY (channel, broadcast, method)
   ) WITHOUT ROWID;`,
];
