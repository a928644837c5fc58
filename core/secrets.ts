import crypto from 'node:crypto';

/** A fresh secret: `bytes` random bytes, URL-safe base64, after an optional prefix that says what it is. */
export function newSecret(bytes: number, prefix = ''): string {
  return prefix + crypto.randomBytes(bytes).toString('base64url');
}

/**
 * What is stored for a secret (stream keys, moderator and streamer tokens):
 * its SHA-256, hex. A plain digest, not a slow password hash (scrypt,
 * argon2), because the secrets liveroom hands out are 192 to 256 random
 * bits: nobody can guess their way back from a leaked digest, slowing each
 * guess down adds nothing, and a deterministic digest can be looked up by
 * index. (A stream key an operator picks, LIVEROOM_STREAM_KEY, is as strong as
 * the operator made it: it must be 8 characters or more; random is better.)
 */
export function hashSecret(secret: string): string {
  return crypto.createHash('sha256').update(secret, 'utf8').digest('hex');
}

/**
 * Constant-time comparison of two digests from hashSecret. Lookups find the
 * row by its digest (an index), and this final check keeps the comparison
 * itself from leaking by timing how much of the value matched.
 */
export function hashesMatch(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === 32 && y.length === 32 && crypto.timingSafeEqual(x, y);
}

/** Whether `given` is the secret whose digest is `expectedHash`, in constant time whatever `given`'s length. */
export function secretMatches(given: string, expectedHash: string): boolean {
  return hashesMatch(hashSecret(given), expectedHash);
}
