import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from './sqlite-database';
import { SqliteChannelStore } from './sqlite-channel-store';

describe('ChannelStore', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-store-'));
  const db = openDatabase(dir);
  const store = new SqliteChannelStore(db);
  afterAll(() => db.close());

  it('maps keys to channels and forgets revoked ones', () => {
    store.create('live');
    const { key, info } = store.addKey('live', 'default');
    expect(key.length).toBeGreaterThanOrEqual(32);
    expect(info.preview).not.toContain(key.slice(5));
    expect(store.channelForKey(key)).toBe('live');
    expect(store.channelForKey('nope')).toBeUndefined();
    expect(store.channelForKey('')).toBeUndefined();
    expect(store.revokeKey(info.id)).toBe(true);
    expect(store.channelForKey(key)).toBeUndefined();
  });

  it('sets a labelled key idempotently', () => {
    store.setKeyByLabel('live', 'default', 'fixed-key-123');
    store.setKeyByLabel('live', 'default', 'fixed-key-123');
    expect(store.keyByLabel('live', 'default')).toBe('fixed-key-123');
    store.setKeyByLabel('live', 'default', 'other-key-456');
    expect(store.channelForKey('fixed-key-123')).toBeUndefined();
    expect(store.channelForKey('other-key-456')).toBe('live');
  });

  it('survives reopening (migrations are idempotent)', () => {
    const again = openDatabase(dir);
    expect(new SqliteChannelStore(again).get('live')?.name).toBe('live');
    again.close();
  });
});
