import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from '../core/logger';

/** `liveroom-<pid>-<6 hex>`: one per server run; the pid says whether its owner still lives. */
const FOLDER = /^liveroom-(\d+)-[0-9a-f]{6}$/;

/**
 * The temp folders of ffmpeg runs (their output sockets live there). Each server
 * run owns one parent folder named after its pid, so the folders of a server
 * that crashed are recognised and removed at the next start, and those of a
 * server still running (another instance, another test) are left alone.
 */
export class RunFolders {
  readonly root: string;

  constructor(private readonly tempDir: string, private readonly log: Logger) {
    this.root = path.join(tempDir, `liveroom-${process.pid}-${crypto.randomBytes(3).toString('hex')}`);
  }

  /** Removes the folders left by server runs whose process is gone. Never throws: a broken temp folder shows on the first run. */
  start(): void {
    let names: string[];
    try {
      names = fs.readdirSync(this.tempDir);
    } catch (err) {
      this.log.warn({ tempDir: this.tempDir, err: (err as Error).message }, 'cannot read the temp folder: ffmpeg runs will fail until it is usable (transcoder.tempDir)');
      return;
    }
    for (const name of names) {
      const m = FOLDER.exec(name);
      if (!m || ownerAlive(path.join(this.tempDir, name), Number(m[1]))) continue;
      try {
        fs.rmSync(path.join(this.tempDir, name), { recursive: true, force: true });
        this.log.info({ folder: name }, 'removed the temp folder of an earlier server run');
      } catch (err) {
        this.log.warn({ folder: name, err: (err as Error).message }, 'cannot remove the temp folder of an earlier server run');
      }
    }
  }

  /** A fresh folder for one ffmpeg run (the parent is made again if something removed it). */
  create(): string {
    if (!fs.existsSync(this.root)) {
      fs.mkdirSync(this.root, { recursive: true, mode: 0o700 });
      fs.writeFileSync(path.join(this.root, 'owner'), `${process.pid} ${startTime(process.pid) ?? ''}\n`);
    }
    return fs.mkdtempSync(path.join(this.root, 'run-'));
  }

  stop(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

/** The folder's server is still running: its pid lives and (where /proc tells) started when the folder's owner file says. */
function ownerAlive(folder: string, pid: number): boolean {
  if (!processAlive(pid)) return false;
  let owner: string;
  try {
    owner = fs.readFileSync(path.join(folder, 'owner'), 'utf8');
  } catch {
    return true; // being created right now, or unreadable: leave it
  }
  const recorded = owner.trim().split(' ')[1];
  const now = startTime(pid);
  return !recorded || !now || recorded === now; // a different start time: the pid was reused after a crash
}

/** The process's start time in clock ticks since boot (Linux /proc), to tell a reused pid apart. */
function startTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // alive, someone else's
  }
}
