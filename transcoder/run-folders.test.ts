import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { RunFolders } from './run-folders';

describe('RunFolders', () => {
  let tmp: string;
  beforeEach(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-folders-'))));
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('removes the folders of server runs that are gone, and leaves live ones and anything else alone', () => {
    const deadPid = spawnSync(process.execPath, ['-e', '']).pid!;
    const mk = (name: string, owner?: string) => {
      fs.mkdirSync(path.join(tmp, name, 'run-abc'), { recursive: true });
      fs.writeFileSync(path.join(tmp, name, 'run-abc', '0.sock'), '');
      if (owner !== undefined) fs.writeFileSync(path.join(tmp, name, 'owner'), owner);
    };
    mk(`liveroom-${deadPid}-aaaaaa`, `${deadPid} 1\n`); // crashed server
    mk(`liveroom-${process.pid}-bbbbbb`, `${process.pid} 1\n`); // our pid, but another process's start time: pid reused
    const live = new RunFolders(tmp, pino({ level: 'silent' }));
    live.create(); // a server alive in this process
    mk('liveroom-test-cccccc'); // not ours
    mk('liveroom-1x-dddddd');

    new RunFolders(tmp, pino({ level: 'silent' })).start();
    expect(fs.readdirSync(tmp).sort()).toEqual([path.basename(live.root), 'liveroom-1x-dddddd', 'liveroom-test-cccccc'].sort());
    live.stop();
    expect(fs.existsSync(live.root)).toBe(false);
  });

  it('makes the parent again when something removed it, and fails clearly when a file is in the way', () => {
    const folders = new RunFolders(path.join(tmp, 'sub'), pino({ level: 'silent' }));
    folders.start(); // unreadable temp folder: logged, not thrown
    const a = folders.create();
    fs.rmSync(folders.root, { recursive: true });
    const b = folders.create();
    expect(fs.statSync(b).isDirectory()).toBe(true);
    expect(a).not.toBe(b);
    fs.rmSync(path.join(tmp, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(tmp, 'sub'), '');
    expect(() => folders.create()).toThrow(/ENOTDIR|EEXIST/);
  });
});
