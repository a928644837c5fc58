import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from './sqlite-database';
import { SqliteShareStore } from './sqlite-share-store';

describe('ShareStore', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-shares-'));
  const db = openDatabase(dir);
  const store = new SqliteShareStore(db);
  afterAll(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('counts shares per channel, per broadcast and by method', async () => {
    expect((await store.counts('live'))).toEqual({ total: 0, byMethod: { native: 0, copy: 0, embed: 0 } });
    await store.add('live', null, 'copy');
    await store.add('live', 'b1', 'copy');
    await store.add('live', 'b1', 'native');
    await store.add('live', 'b2', 'embed');
    await store.add('other', 'b3', 'copy');
    expect((await store.counts('live'))).toEqual({ total: 4, byMethod: { native: 1, copy: 2, embed: 1 } });
    expect((await store.counts('live', 'b1'))).toEqual({ total: 2, byMethod: { native: 1, copy: 1, embed: 0 } });
    expect((await store.counts('live', 'b9')).total).toBe(0);
    expect((await store.counts('other')).total).toBe(1);
  });

  it('refuses a method it does not know', async () => {
    await expect(store.add('live', null, 'fax' as never)).rejects.toThrow(/CHECK constraint/);
  });
});
