import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { RequestHandler } from 'express';
import { fail } from '../core/errors';
import { sendError } from './http-errors';

export const ADMIN_TOKEN_FILE = 'admin-token';

/**
 * The admin API token: created on first start in `<dataDir>/admin-token`
 * (mode 0600, readable only by the server's user), reused afterwards. The CLI
 * on the same machine reads it from there.
 */
export function ensureAdminToken(dataDir: string): { token: string; file: string } {
  const file = path.join(dataDir, ADMIN_TOKEN_FILE);
  fs.mkdirSync(dataDir, { recursive: true });
  try {
    // 'wx': never overwrite a token another start created a moment ago.
    fs.writeFileSync(file, `${crypto.randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw fail('LR_DATA_DIR', { action: `create the admin token ${file}`, reason: (err as Error).message });
    }
  }
  // Someone loosened it (an editor, a copy): keep it private again.
  if ((fs.statSync(file).mode & 0o077) !== 0) fs.chmodSync(file, 0o600);
  const token = fs.readFileSync(file, 'utf8').trim();
  if (token.length < 16) {
    throw fail('LR_ADMIN_TOKEN', { file });
  }
  return { token, file };
}

/** Compares in constant time, whatever the lengths (hashing first equalizes them). */
export function tokenMatches(given: string, expected: string): boolean {
  const a = crypto.createHash('sha256').update(given).digest();
  const b = crypto.createHash('sha256').update(expected).digest();
  return crypto.timingSafeEqual(a, b) && given.length === expected.length;
}

/** Requires `Authorization: Bearer <token>`; anything else gets 401 JSON. */
export function requireAdminToken(token: string): RequestHandler {
  return (req, res, next) => {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
    if (m && tokenMatches(m[1], token)) return next();
    res.set('WWW-Authenticate', 'Bearer realm="liveroom-admin"');
    sendError(res, fail('LR_ADMIN_UNAUTHORIZED', { given: m !== null }));
  };
}
