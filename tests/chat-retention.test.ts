/**
 * Retention through the real server: rows written long ago (through the stores,
 * with old timestamps) are gone once liveroom has started with
 * chat.retentionDays; recent rows and standing bans stay; 0 keeps everything.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { io as ioClient } from 'socket.io-client';
import type { Welcome } from '../chat/chat-events';
import { SqliteStores } from '../storage/sqlite/sqlite-stores';
import { startLiveroom, type Harness } from './helpers/liveroom-harness';

const DAY = 86_400_000;
const log = (channel: string, ts: number) => ({
  channel,
  ts,
  action: 'slow-mode',
  actorId: 'mod',
  actorName: 'Mia',
  actorRole: 'moderator',
  targetUserId: null,
  targetMessageId: null,
  detail: { seconds: 5 },
});
const message = (id: string, ts: number) => ({
  id,
  channel: 'live',
  ts,
  kind: 'chat' as const,
  text: `message ${id}`,
  mode: null,
  color: null,
  authorId: 'a'.repeat(24),
  authorName: 'Old Timer',
  authorRole: 'viewer',
});

/** A data folder holding rows from 40 days ago and from an hour ago. */
async function seededDataDir(): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-retention-'));
  const stores = SqliteStores.open(dir);
  const now = Date.now();
  const old = now - 40 * DAY;
  const recent = now - 3_600_000;
  await stores.channels.create('live');
  await stores.messages.insert(message('old-1', old));
  await stores.messages.insert(message('old-2', old + 1000));
  await stores.messages.insert(message('new-1', recent));
  await stores.moderation.appendLog(log('live', old));
  await stores.moderation.appendLog(log('live', recent));
  await stores.moderation.touchUser({ id: 'u-old', name: 'Gone', address: '203.0.113.1' }, old);
  await stores.moderation.touchUser({ id: 'u-new', name: 'Here', address: '203.0.113.2' }, recent);
  const sanction = (userId: string, kind: 'ban' | 'timeout', createdAt: number, until: number | null) => ({
    channel: 'live', kind, userId, address: kind === 'ban' ? '203.0.113.9' : null, reason: null, until, createdAt, createdBy: 'mod',
  });
  await stores.moderation.addSanction(sanction('u-banned', 'ban', old, null), log('live', recent)); // standing: stays
  await stores.moderation.addSanction(sanction('u-timed', 'timeout', old, old + 60_000), log('live', recent)); // ran out long ago
  await stores.close();
  return dir;
}

async function rows(dir: string) {
  const stores = SqliteStores.open(dir);
  try {
    const q = (sql: string) => stores.db.prepare(sql).pluck().all();
    return {
      messages: q('SELECT id FROM chat_messages ORDER BY ts'),
      logTs: q('SELECT ts FROM chat_moderation_log').length,
      users: q('SELECT id FROM chat_users ORDER BY id'),
      sanctions: q('SELECT user_id FROM chat_sanctions ORDER BY user_id'),
    };
  } finally {
    await stores.close();
  }
}

async function welcome(base: string): Promise<Welcome> {
  const socket = ioClient(base, {
    transports: ['websocket'],
    reconnection: false,
    auth: { channel: 'live', identity: crypto.randomBytes(16).toString('base64url'), name: 'Reader' },
  });
  try {
    return await new Promise<Welcome>((resolve, reject) => {
      socket.once('welcome', resolve);
      socket.once('connect_error', reject);
    });
  } finally {
    socket.disconnect();
  }
}

describe('chat retention', () => {
  let h: Harness | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('deletes messages, log entries, viewers and ended sanctions older than chat.retentionDays at start', async () => {
    dir = await seededDataDir();
    expect((await rows(dir)).messages).toEqual(['old-1', 'old-2', 'new-1']);
    h = await startLiveroom({ dataDir: dir, chat: { retentionDays: 30 } });
    // The history a newcomer gets no longer has the old messages.
    expect((await welcome(h.base)).history.map((m) => m.id)).toEqual(['new-1']);
    await h.stop();
    h = undefined;
    const after = await rows(dir);
    expect(after.messages).toEqual(['new-1']);
    expect(after.logTs).toBe(3); // the old entry went; the recent one and the two sanctions' entries stay
    // The old viewer's name and address are gone; the recent one and the Reader (seen on joining) are there.
    expect(after.users).not.toContain('u-old');
    expect(after.users).toContain('u-new');
    expect(after.users).toHaveLength(2);
    expect(after.sanctions).toEqual(['u-banned']); // the standing ban stays; the timeout that ran out long ago went
  });

  it('keeps everything with chat.retentionDays 0', async () => {
    dir = await seededDataDir();
    h = await startLiveroom({ dataDir: dir, chat: { retentionDays: 0 } });
    expect((await welcome(h.base)).history.map((m) => m.id)).toEqual(['old-1', 'old-2', 'new-1']);
    await h.stop();
    h = undefined;
    const after = await rows(dir);
    expect(after.messages).toHaveLength(3);
    expect(after.logTs).toBe(4);
    expect(after.sanctions).toEqual(['u-banned', 'u-timed']);
  });
});
