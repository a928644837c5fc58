import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../storage/sqlite/sqlite-database';
import { SqliteChannelStore } from '../storage/sqlite/sqlite-channel-store';
import { SqliteTranscodeProfileStore } from '../storage/sqlite/sqlite-transcode-profile-store';
import { ProfileStore } from './profile-store';

describe('ProfileStore', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-profiles-'));
  const db = openDatabase(dir);
  const channels = new SqliteChannelStore(db);
  const store = new ProfileStore(new SqliteTranscodeProfileStore(db), channels);
  channels.create('live');
  afterAll(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const ladder = { name: 'ladder', renditions: [{ name: 'source', copy: true }, { name: '240p', height: 240, videoKbps: 400 }] };

  it('lists the built-ins first, read-only', () => {
    expect(store.list().map((e) => [e.profile.name, e.builtin])).toEqual([['passthrough', true], ['default', true], ['low-cpu', true], ['abr-3', true]]);
    expect(() => store.replace('default', ladder)).toThrow(expect.objectContaining({ code: 'LR_PROFILE_BUILTIN', status: 409 }));
    expect(() => store.delete('default', 'default')).toThrow(expect.objectContaining({ code: 'LR_PROFILE_BUILTIN' }));
    expect(() => store.create({ ...ladder, name: 'abr-3' })).toThrow(/built-in profile/);
  });

  it('creates, validates, replaces, assigns and refuses to delete what is in use', () => {
    expect(store.create(ladder).profile).toMatchObject({ name: 'ladder', encoder: 'auto', keyframes: 'source' });
    expect(() => store.create(ladder)).toThrow(expect.objectContaining({ code: 'LR_PROFILE_EXISTS', status: 409 }));
    expect(() => store.create({ name: 'odd', renditions: [{ name: 'x', height: 241 }] })).toThrow(/'renditions\[0\] \(x\)\.height' \(241\) must be even/);
    const edited = store.replace('ladder', { renditions: [{ name: '240p', height: 240 }], encoder: 'libx264' });
    expect(edited.profile).toMatchObject({ name: 'ladder', encoder: 'libx264', renditions: [{ name: '240p', height: 240 }] });
    expect(() => store.replace('ladder', { ...ladder, name: 'other' })).toThrow(/must match the profile being edited/);

    store.assign('live', 'ladder');
    expect(channels.get('live')?.profile).toBe('ladder');
    expect(store.get('ladder')?.channels).toEqual(['live']);
    expect(() => store.delete('ladder', 'default')).toThrow(/assigned to 'live'/);
    expect(() => store.assign('live', 'nope')).toThrow(expect.objectContaining({ code: 'LR_PROFILE_NOT_FOUND', status: 404 }));
    expect(() => store.assign('nope', 'ladder')).toThrow(expect.objectContaining({ code: 'LR_CHANNEL_NOT_FOUND' }));
    store.assign('live', null);
    expect(() => store.delete('ladder', 'ladder')).toThrow(/server's default/);
    store.delete('ladder', 'default');
    expect(store.get('ladder')).toBeUndefined();
  });

  it('keeps stored profiles across a reopen', () => {
    store.create({ ...ladder, name: 'kept' });
    const again = openDatabase(dir);
    expect(new ProfileStore(new SqliteTranscodeProfileStore(again), new SqliteChannelStore(again)).resolve('kept')?.renditions).toHaveLength(2);
    again.close();
  });
});
