import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ensurePrivateDir, makePrivate } from '../data-dir';
import { MIGRATIONS } from './sqlite-migrations';

export type Db = Database.Database;

export const DATABASE_FILE = 'liveroom.sqlite';

/**
 * Opens (creating if needed) the embedded SQLite database under the data folder
 * and brings its schema up to date. WAL keeps readers (the HTTP API) from
 * blocking the writer (chat, ingest).
 *
 * Private files: the folder is 0700; the database is created 0600 before
 * SQLite opens it (SQLite gives the -wal and -shm files it creates the
 * database file's mode), and after the first write all three are set to 0600
 * explicitly, whatever the umask.
 */
export function openDatabase(dataDir: string): Db {
  ensurePrivateDir(dataDir);
  const file = path.join(dataDir, DATABASE_FILE);
  fs.closeSync(fs.openSync(file, 'a', 0o600));
  makePrivate(file);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  // The migration check wrote (or read) through the WAL: -wal and -shm exist now.
  makePrivate(file, `${file}-wal`, `${file}-shm`);
  return db;
}

export function migrate(db: Db) {
  const current = db.pragma('user_version', { simple: true }) as number;
  const apply = db.transaction(() => {
    for (let v = current; v < MIGRATIONS.length; v++) {
      const step = MIGRATIONS[v];
      if (typeof step === 'string') db.exec(step);
      else step(db);
      db.pragma(`user_version = ${v + 1}`);
    }
  });
  apply();
}
