import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { hashSecret } from '../../core/secrets';
import { StreamKeys } from '../../ingest/stream-keys';
import { migrate, openDatabase } from './sqlite-database';
import { MIGRATIONS } from './sqlite-migrations';
import { SqliteChannelStore } from './sqlite-channel-store';

describe('ChannelStore', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-store-'));
  const db = openDatabase(dir);
  const store = new SqliteChannelStore(db);
  const keys = new StreamKeys(store);
  afterAll(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  // What every backend does is in storage/store-contract.test.ts; here, what only the SQLite file does.
  it('keeps a key across reopening the file (migrations are idempotent)', async () => {
    await store.create('live');
    await keys.setByLabel('live', 'default', 'other-key-456');
    const rows = db.prepare('SELECT * FROM stream_keys').all();
    expect(JSON.stringify(rows)).not.toContain('other-key-456');
    expect(rows).toContainEqual(expect.objectContaining({ key_hash: hashSecret('other-key-456'), label: 'default' }));
  });

  it('survives reopening (migrations are idempotent)', async () => {
    const again = openDatabase(dir);
    expect((await new SqliteChannelStore(again).get('live'))?.name).toBe('live');
    expect(await new StreamKeys(new SqliteChannelStore(again)).channelForKey('other-key-456')).toBe('live');
    again.close();
  });

  it('hashes the plaintext keys of an older database in place', async () => {
    const old = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-store-old-'));
    const file = path.join(old, 'liveroom.sqlite');
    const v3 = new Database(file);
    for (const step of MIGRATIONS.slice(0, 3)) v3.exec(step as string);
    v3.pragma('user_version = 3');
    v3.prepare("INSERT INTO channels (name, title, created_at) VALUES ('live', 'live', 1)").run();
    v3.prepare("INSERT INTO stream_keys (id, channel, key, label, created_at) VALUES ('a1', 'live', 'plaintext-key-0001', 'default', 1)").run();
    v3.prepare("INSERT INTO stream_keys (id, channel, key, label, created_at, revoked_at) VALUES ('a2', 'live', 'plaintext-key-0002', 'old', 1, 2)").run();
    v3.close();

    const db2 = openDatabase(old);
    const upgraded = new StreamKeys(new SqliteChannelStore(db2));
    expect((await upgraded.channelForKey('plaintext-key-0001'))).toBe('live');
    expect((await upgraded.channelForKey('plaintext-key-0002'))).toBeUndefined();
    expect(JSON.stringify(db2.prepare('SELECT * FROM stream_keys').all())).not.toContain('plaintext-key');
    migrate(db2); // once more: nothing to do
    db2.close();
    // Nothing of the old plaintext stays in the file: the dropped table's pages were overwritten (secure_delete), not just freed.
    expect(fs.readFileSync(file).includes('plaintext-key-0001')).toBe(false);
    fs.rmSync(old, { recursive: true, force: true });
  });
});
