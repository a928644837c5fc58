import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../storage/sqlite/sqlite-database';
import { SqliteModeratorTokenStore } from '../storage/sqlite/sqlite-moderator-token-store';
import { hashToken, ModeratorTokens } from './moderator-tokens';

describe('ModeratorTokens', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-modtok-'));
  const db = openDatabase(dir);
  const tokens = new ModeratorTokens(new SqliteModeratorTokenStore(db));
  afterAll(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('creates a token shown once, stores only its hash, and proves the moderator role in its channel only', async () => {
    const { token, info } = await tokens.create('live', 'Mia');
    expect(token).toMatch(/^lrm_[A-Za-z0-9_-]{43}$/);
    expect(info).toMatchObject({ channel: 'live', label: 'Mia', revokedAt: null });
    const stored = db.prepare('SELECT * FROM chat_moderator_tokens').all();
    expect(JSON.stringify(stored)).not.toContain(token.slice(4));
    expect(stored).toEqual([expect.objectContaining({ token_hash: hashToken(token) })]);
    expect(await tokens.roleFor('live', token)).toBe('moderator');
    expect(await tokens.roleFor('other', token)).toBeUndefined();
    expect(await tokens.roleFor('live', token + 'x')).toBeUndefined();
    expect((await tokens.list('live'))[0].lastUsedAt).not.toBeNull();
  });

  it('a streamer token proves the streamer role in its channel only; nothing else does', async () => {
    const { token, info } = await tokens.create('live', 'Sam', 'streamer');
    expect(token).toMatch(/^lrs_[A-Za-z0-9_-]{43}$/);
    expect(info).toMatchObject({ role: 'streamer', label: 'Sam' });
    expect(await tokens.grant('live', token)).toEqual({ role: 'streamer', tokenId: info.id });
    expect(await tokens.roleFor('other', token)).toBeUndefined();
    // The admin token is not a chat token (it has no place in a browser).
    expect(await tokens.roleFor('live', 'the-admin-token')).toBeUndefined();
    expect(await tokens.roleFor('live', `lrs_${token.slice(4, -1)}`)).toBeUndefined();
  });

  it('lists per channel and revokes', async () => {
    const { token, info } = await tokens.create('other', 'Otto');
    expect((await tokens.list('other')).map((t) => t.label)).toEqual(['Otto']);
    expect((await tokens.list()).map((t) => t.channel)).toEqual(['live', 'live', 'other']);
    expect(await tokens.revoke(info.id)).toBe(true);
    expect(await tokens.revoke(info.id)).toBe(false);
    expect(await tokens.roleFor('other', token)).toBeUndefined();
    expect((await tokens.list('other'))[0].revokedAt).not.toBeNull();
  });
});
