import fs from 'node:fs';
import path from 'node:path';

/** What the recorder does to the file system; tests swap it for one that fails (ENOSPC). */
export interface RecordingFileSystem {
  mkdir(dir: string): Promise<void>;
  /** Writes the whole file under a temporary name, then renames it: a file that has its name is complete. */
  write(file: string, bytes: Buffer): Promise<void>;
  /** Removes a folder and everything in it; nothing when it is not there. */
  remove(dir: string): Promise<void>;
}

export const TMP_SUFFIX = '.tmp';

/**
 * The real one. One file per init segment and per segment, written whole and
 * renamed into place: what a kill -9 leaves is complete files plus at most one
 * `.tmp` per rendition (removed at the next start). Each write opens and closes
 * its own handle, so nothing stays open between segments.
 */
export const nodeRecordingFileSystem: RecordingFileSystem = {
  async mkdir(dir) {
    await fs.promises.mkdir(dir, { recursive: true, mode: 0o700 });
  },
  async write(file, bytes) {
    const tmp = file + TMP_SUFFIX;
    try {
      await fs.promises.writeFile(tmp, bytes, { mode: 0o600 });
      await fs.promises.rename(tmp, file);
    } catch (err) {
      await fs.promises.rm(tmp, { force: true }).catch(() => {});
      throw err;
    }
  },
  async remove(dir) {
    await fs.promises.rm(dir, { recursive: true, force: true });
  },
};

/** Removes the `.tmp` files a crash left in a recording's folder and its rendition folders (synchronous: at start only). */
export function removeTempFiles(recordingDir: string): number {
  let removed = 0;
  let renditions: string[];
  try {
    renditions = fs.readdirSync(recordingDir);
  } catch {
    return 0;
  }
  for (const r of renditions) {
    const dir = path.join(recordingDir, r);
    if (r.endsWith(TMP_SUFFIX)) {
      // a thumbnail being written (beside the rendition folders)
      fs.rmSync(dir, { force: true });
      removed++;
      continue;
    }
    let files: string[];
    try {
      files = fs.readdirSync(dir);
    } catch {
      continue;
    }
    for (const f of files) {
      if (!f.endsWith(TMP_SUFFIX)) continue;
      fs.rmSync(path.join(dir, f), { force: true });
      removed++;
    }
  }
  return removed;
}
