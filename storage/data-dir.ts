import fs from 'node:fs';

/**
 * The data folder holds the database, the admin token and recordings: only
 * the server's user may enter it. Modes are set explicitly (chmod), so they
 * do not depend on the umask the server was started with, and a folder an
 * earlier version created 0755 is closed on the next start.
 */
export function ensurePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
}

/** Sets each file that exists to 0600 (read and write for the server's user only). */
export function makePrivate(...files: string[]): void {
  for (const file of files) {
    try {
      fs.chmodSync(file, 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}
