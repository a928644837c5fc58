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
  beforeAll(() => channels.create('live'));
  afterAll(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const ladder = { name: 'ladder', renditions: [{ name: 'source', copy: true }, { name: '240p', height: 240, videoKbps: 400 }] };

  it('lists the built-ins first, read-only', async () => {
    expect((await store.list()).map((e) => [e.profile.name, e.builtin])).toEqual([['passthrough', true], ['default', true], ['low-cpu', true], ['abr-3', true]]);
    await expect(store.replace('default', ladder)).rejects.toThrow(expect.objectContaining({ code: 'LR_PROFILE_BUILTIN', status: 409 }));
    await expect(store.delete('default', 'default')).rejects.toThrow(expect.objectContaining({ code: 'LR_PROFILE_BUILTIN' }));
    await expect(store.create({ ...ladder, name: 'abr-3' })).rejects.toThrow(/built-in profile/);
  });

  it('creates, validates, replaces, assigns and refuses to delete what is in use', async () => {
    expect((await store.create(ladder)).profile).toMatchObject({ name: 'ladder', encoder: 'auto', keyframes: 'source' });
    await expect(store.create(ladder)).rejects.toThrow(expect.objectContaining({ code: 'LR_PROFILE_EXISTS', status: 409 }));
    await expect(store.create({ name: 'odd', renditions: [{ name: 'x', height: 241 }] })).rejects.toThrow(/'renditions\[0\] \(x\)\.height' \(241\) must be even/);
    const edited = await store.replace('ladder', { renditions: [{ name: '240p', height: 240 }], encoder: 'libx264' });
    expect(edited.profile).toMatchObject({ name: 'ladder', encoder: 'libx264', renditions: [{ name: '240p', height: 240 }] });
    await expect(store.replace('ladder', { ...ladder, name: 'other' })).rejects.toThrow(/must match the profile being edited/);

    await store.assign('live', 'ladder');
    expect((await channels.get('live'))?.profile).toBe('ladder');
    expect((await store.get('ladder'))?.channels).toEqual(['live']);
    await expect(store.delete('ladder', 'default')).rejects.toThrow(/assigned to 'live'/);
    await expect(store.assign('live', 'nope')).rejects.toThrow(expect.objectContaining({ code: 'LR_PROFILE_NOT_FOUND', status: 404 }));
    await expect(store.assign('nope', 'ladder')).rejects.toThrow(expect.objectContaining({ code: 'LR_CHANNEL_NOT_FOUND' }));
    await store.assign('live', null);
    await expect(store.delete('ladder', 'ladder')).rejects.toThrow(/server's default/);
    await store.delete('ladder', 'default');
    expect(await store.get('ladder')).toBeUndefined();
  });

  it('keeps stored profiles across a reopen', async () => {
    await store.create({ ...ladder, name: 'kept' });
    const again = openDatabase(dir);
    expect((await new ProfileStore(new SqliteTranscodeProfileStore(again), new SqliteChannelStore(again)).resolve('kept'))?.renditions).toHaveLength(2);
    again.close();
  });
});
