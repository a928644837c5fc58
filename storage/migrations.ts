/** Schema migrations, applied in order; index + 1 is the schema version (PRAGMA user_version). Never edit a shipped one: append. */
export const MIGRATIONS: string[] = [
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
];
