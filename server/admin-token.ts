import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { RequestHandler } from 'express';
import { fail, type LiveroomError } from '../core/errors';
import { hashSecret, secretMatches } from '../core/secrets';
import { ensurePrivateDir } from '../storage/data-dir';
import { sendError } from './http-errors';

export const ADMIN_TOKEN_FILE = 'admin-token';

/**
 * The admin API token: created on first start in `<dataDir>/admin-token`
 * (mode 0600, readable only by the server's user), reused afterwards. The CLI
 * on the same machine reads it from there, so this one secret is kept whole
 * (in a 0600 file in the 0700 data folder); the server holds and compares only
 * its digest (`tokenHash`).
 */
export function ensureAdminToken(dataDir: string): { token: string; tokenHash: string; file: string } {
  const file = path.join(dataDir, ADMIN_TOKEN_FILE);
  ensurePrivateDir(dataDir);
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
  return { token, tokenHash: hashSecret(token), file };
}

/** Requires `Authorization: Bearer <token>` whose digest is `tokenHash` (constant-time); anything else gets 401 JSON. */
export function requireAdminToken(tokenHash: string): RequestHandler {
  return requireBearer(tokenHash, 'liveroom-admin', (given) => fail('LR_ADMIN_UNAUTHORIZED', { given }));
}

/** `Authorization: Bearer <secret>` checked against the secret's digest; anything else is answered 401 with `refusal`. */
export function requireBearer(tokenHash: string, realm: string, refusal: (given: boolean) => LiveroomError): RequestHandler {
  return (req, res, next) => {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
    if (m && secretMatches(m[1], tokenHash)) return next();
    res.set('WWW-Authenticate', `Bearer realm="${realm}"`);
    sendError(res, refusal(m !== null));
  };
}
