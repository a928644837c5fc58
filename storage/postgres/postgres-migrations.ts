import type { PgPool } from './postgres-database';
import { inTransaction } from './postgres-database';

/**
 * The PostgreSQL schema, in order: version N is MIGRATIONS[N - 1], recorded in schema_migrations. Never edit a
 * shipped one: append. Times are BIGINT milliseconds since the epoch, as in SQLite; JSON is jsonb.
 */
export const MIGRATIONS: string[] = [
  `CREATE TABLE channels (
     name            TEXT PRIMARY KEY,
     title           TEXT NOT NULL,
     description     TEXT NOT NULL DEFAULT '',
     offline_message TEXT NOT NULL DEFAULT '',
     profile         TEXT,
     created_at      BIGINT NOT NULL
   );
   CREATE TABLE stream_keys (
     id          TEXT PRIMARY KEY,
     channel     TEXT NOT NULL REFERENCES channels(name) ON DELETE CASCADE,
     key_hash    TEXT NOT NULL UNIQUE,
     label       TEXT NOT NULL,
     created_at  BIGINT NOT NULL,
     revoked_at  BIGINT
   );
   CREATE INDEX stream_keys_channel ON stream_keys(channel);
   CREATE TABLE chat_messages (
     seq          BIGSERIAL PRIMARY KEY,
     id           TEXT NOT NULL UNIQUE,
     channel      TEXT NOT NULL,
     ts           BIGINT NOT NULL,
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
   CREATE INDEX chat_messages_channel_ts ON chat_messages(channel, ts);
   CREATE INDEX chat_messages_ts ON chat_messages(ts);
   CREATE TABLE chat_users (
     id           TEXT PRIMARY KEY,
     name         TEXT NOT NULL,
     address      TEXT NOT NULL,
     first_seen   BIGINT NOT NULL,
     last_seen    BIGINT NOT NULL
   );
   CREATE INDEX chat_users_last_seen ON chat_users(last_seen);
   CREATE TABLE chat_sanctions (
     id           BIGSERIAL PRIMARY KEY,
     channel      TEXT NOT NULL,
     kind         TEXT NOT NULL CHECK (kind IN ('timeout', 'ban')),
     user_id      TEXT NOT NULL,
     address      TEXT,
     reason       TEXT,
     until        BIGINT,
     created_at   BIGINT NOT NULL,
     created_by   TEXT NOT NULL,
     lifted_at    BIGINT,
     lifted_by    TEXT
   );
   CREATE INDEX chat_sanctions_user ON chat_sanctions(channel, user_id);
   CREATE INDEX chat_sanctions_address ON chat_sanctions(channel, address);
   CREATE TABLE chat_moderation_log (
     id                BIGSERIAL PRIMARY KEY,
     channel           TEXT NOT NULL,
     ts                BIGINT NOT NULL,
     action            TEXT NOT NULL,
     actor_id          TEXT NOT NULL,
     actor_name        TEXT NOT NULL,
     actor_role        TEXT NOT NULL,
     target_user_id    TEXT,
     target_message_id TEXT,
     detail            JSONB NOT NULL
   );
   CREATE INDEX chat_moderation_log_channel ON chat_moderation_log(channel, ts);
   CREATE INDEX chat_moderation_log_ts ON chat_moderation_log(ts);
   CREATE TABLE chat_channel_settings (
     channel           TEXT PRIMARY KEY,
     slow_mode_seconds INTEGER NOT NULL
   );
   CREATE TABLE chat_blocked_words (
     channel      TEXT NOT NULL,
     word         TEXT NOT NULL,
     created_at   BIGINT NOT NULL,
     PRIMARY KEY (channel, word)
   );
   CREATE TABLE chat_likes (
     channel      TEXT PRIMARY KEY,
     total        BIGINT NOT NULL
   );
   CREATE TABLE chat_moderator_tokens (
     id           TEXT PRIMARY KEY,
     channel      TEXT NOT NULL,
     label        TEXT NOT NULL,
     role         TEXT NOT NULL DEFAULT 'moderator' CHECK (role IN ('moderator', 'streamer')),
     token_hash   TEXT NOT NULL UNIQUE,
     created_at   BIGINT NOT NULL,
     revoked_at   BIGINT,
     last_used_at BIGINT
   );
   CREATE INDEX chat_moderator_tokens_channel ON chat_moderator_tokens(channel);
   CREATE TABLE transcode_profiles (
     name        TEXT PRIMARY KEY,
     body        JSONB NOT NULL,
     created_at  BIGINT NOT NULL,
     updated_at  BIGINT NOT NULL
   );
   CREATE TABLE recordings (
     id            TEXT PRIMARY KEY,
     channel       TEXT NOT NULL,
     title         TEXT NOT NULL,
     started_at    BIGINT NOT NULL,
     ended_at      BIGINT,
     duration      DOUBLE PRECISION NOT NULL DEFAULT 0,
     bytes         BIGINT NOT NULL DEFAULT 0,
     status        TEXT NOT NULL CHECK (status IN ('recording', 'complete', 'interrupted', 'disk-full', 'failed')),
     peak_viewers  INTEGER NOT NULL DEFAULT 0,
     messages      INTEGER NOT NULL DEFAULT 0,
     likes         BIGINT,
     thumbnail     BOOLEAN NOT NULL DEFAULT FALSE
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
     duration      DOUBLE PRECISION NOT NULL DEFAULT 0,
     bytes         BIGINT NOT NULL DEFAULT 0,
     segments      INTEGER NOT NULL DEFAULT 0,
     peak_bitrate  DOUBLE PRECISION NOT NULL DEFAULT 0,
     PRIMARY KEY (recording, name)
   );
   CREATE TABLE recording_segments (
     recording     TEXT NOT NULL,
     rendition     TEXT NOT NULL,
     msn           INTEGER NOT NULL,
     init_id       INTEGER NOT NULL,
     duration      DOUBLE PRECISION NOT NULL,
     pdt           BIGINT NOT NULL,
     discontinuity BOOLEAN NOT NULL,
     bytes         BIGINT NOT NULL,
     PRIMARY KEY (recording, rendition, msn),
     FOREIGN KEY (recording, rendition) REFERENCES recording_renditions(recording, name) ON DELETE CASCADE
   );
   CREATE TABLE recording_settings (
     channel       TEXT PRIMARY KEY,
     enabled       BOOLEAN,
     renditions    JSONB
   );
   CREATE TABLE webhook_attempts (
     seq          BIGSERIAL PRIMARY KEY,
     delivery_id  TEXT NOT NULL,
     event_id     TEXT NOT NULL,
     event        TEXT NOT NULL,
     url          TEXT NOT NULL,
     attempt      INTEGER NOT NULL,
     status       INTEGER,
     error        TEXT,
     duration_ms  BIGINT NOT NULL,
     at           BIGINT NOT NULL
   );
   CREATE TABLE broadcast_analytics (
     broadcast_id       TEXT PRIMARY KEY,
     channel            TEXT NOT NULL,
     started_at         BIGINT NOT NULL,
     ended_at           BIGINT,
     status             TEXT NOT NULL CHECK (status IN ('live', 'complete', 'interrupted')),
     sample_interval_ms BIGINT NOT NULL,
     sampled_at         BIGINT NOT NULL,
     peak_viewers       INTEGER NOT NULL DEFAULT 0,
     watch_seconds      DOUBLE PRECISION NOT NULL DEFAULT 0,
     unique_viewers     INTEGER NOT NULL DEFAULT 0,
     messages           INTEGER NOT NULL DEFAULT 0,
     danmaku            INTEGER NOT NULL DEFAULT 0,
     chatters           INTEGER NOT NULL DEFAULT 0,
     likes              BIGINT NOT NULL DEFAULT 0,
     shares             INTEGER NOT NULL DEFAULT 0,
     renditions         JSONB NOT NULL DEFAULT '{}'
   );
   CREATE INDEX broadcast_analytics_channel ON broadcast_analytics(channel, started_at);
   CREATE TABLE broadcast_analytics_samples (
     broadcast_id  TEXT NOT NULL REFERENCES broadcast_analytics(broadcast_id) ON DELETE CASCADE,
     at            BIGINT NOT NULL,
     hls           INTEGER NOT NULL,
     chat          INTEGER NOT NULL,
     viewers       INTEGER NOT NULL,
     PRIMARY KEY (broadcast_id, at)
   );
   CREATE TABLE channel_shares (
     channel      TEXT NOT NULL,
     broadcast    TEXT NOT NULL,
     method       TEXT NOT NULL CHECK (method IN ('native', 'copy', 'embed')),
     total        BIGINT NOT NULL,
     PRIMARY KEY (channel, broadcast, method)
   );`,
];

/** The advisory lock every liveroom node takes to migrate: two nodes starting at once apply each step once. */
export const MIGRATION_LOCK = 0x4c52_4d47; // 'LRMG'

/**
 * Brings the schema up to date: in one transaction holding the advisory lock, creates schema_migrations if needed
 * and applies the steps after the highest version recorded there. A node that waited for the lock finds the work
 * done. Resolves with the version now in force.
 */
export async function migrate(pool: PgPool, steps: readonly string[] = MIGRATIONS): Promise<number> {
  return inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
    const { rows } = await client.query<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations');
    const current = rows[0]?.v ?? 0;
    if (current > steps.length) throw new Error(`the database schema is version ${current}, newer than this liveroom knows (${steps.length}): upgrade liveroom`);
    for (let v = current; v < steps.length; v++) {
      await client.query(steps[v]);
      await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [v + 1, Date.now()]);
    }
    return steps.length;
  });
}
