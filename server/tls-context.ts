import crypto from 'node:crypto';
import fs from 'node:fs';
import tls from 'node:tls';
import { fail } from '../core/errors';
import type { Logger } from '../core/logger';

/** One loaded certificate and key: the PEM text (for server.setSecureContext) and a ready context (for RTMPS sockets). */
export interface TlsPair {
  cert: Buffer;
  key: Buffer;
  context: tls.SecureContext;
  /** SHA-256 fingerprint of the leaf certificate, as openssl prints it (AA:BB:…). */
  fingerprint: string;
  validTo: string;
}

export interface TlsFiles {
  cert: string;
  key: string;
  /** How often both files are stat'ed for a renewal. */
  checkIntervalMs: number;
}

/**
 * The server's TLS certificate, shared by HTTPS (and the chat's WSS) and RTMPS.
 * Renewal needs no restart: `reload()` (SIGHUP, see main.ts) and a cheap periodic
 * stat of both files re-read them; a pair that does not load (unreadable, not PEM,
 * a key that is not the certificate's, a half-written renewal) is logged and the
 * old pair kept. Stat, not fs.watch: certbot swaps symlinks in live/, and a watch
 * follows the old inode; stat follows the link.
 */
export class TlsContext {
  private pair: TlsPair;
  private signature: string;
  private timer?: NodeJS.Timeout;
  private checking = false;
  private readonly listeners = new Set<(pair: TlsPair) => void>();

  /** Loads the pair now; a bad one stops the start (LR_TLS_CERT). */
  constructor(private readonly files: TlsFiles, private readonly log: Logger) {
    this.signature = this.statSignature();
    this.pair = loadPair(files.cert, files.key);
  }

  get current(): TlsPair {
    return this.pair;
  }

  /** Called with every new pair that loaded (not with the first one). */
  onChange(listener: (pair: TlsPair) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    this.log.info({ cert: this.files.cert, fingerprint: this.pair.fingerprint, validTo: this.pair.validTo }, 'TLS certificate loaded');
    this.timer = setInterval(() => void this.check(), this.files.checkIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.listeners.clear();
  }

  /** Re-reads both files; true when a new pair is in use. A bad pair is logged and the old one kept. */
  reload(reason: string): boolean {
    this.signature = this.statSignature();
    let pair: TlsPair;
    try {
      pair = loadPair(this.files.cert, this.files.key);
    } catch (err) {
      this.log.error({ reason, err: (err as Error).message, keeping: this.pair.fingerprint }, 'TLS certificate reload failed: keeping the old certificate');
      return false;
    }
    if (pair.fingerprint === this.pair.fingerprint && pair.key.equals(this.pair.key)) {
      this.log.info({ reason, fingerprint: pair.fingerprint }, 'TLS certificate unchanged');
      return false;
    }
    const previous = this.pair.fingerprint;
    this.pair = pair;
    for (const listener of this.listeners) listener(pair);
    this.log.info({ reason, fingerprint: pair.fingerprint, previous, validTo: pair.validTo }, 'TLS certificate reloaded');
    return true;
  }

  /** The periodic check: reloads only when either file's inode, size or mtime moved. */
  private async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      const now = await this.statSignatureAsync();
      if (now !== this.signature) this.reload('files changed');
    } finally {
      this.checking = false;
    }
  }

  private statSignature(): string {
    return [this.files.cert, this.files.key].map((f) => signatureOf(() => fs.statSync(f))).join('|');
  }

  private async statSignatureAsync(): Promise<string> {
    const stats = await Promise.all([this.files.cert, this.files.key].map((f) => fs.promises.stat(f).catch(() => undefined)));
    return stats.map((s) => signatureOf(() => s)).join('|');
  }
}

function signatureOf(stat: () => fs.Stats | undefined): string {
  try {
    const s = stat();
    return s ? `${s.ino}:${s.size}:${s.mtimeMs}` : 'missing';
  } catch {
    return 'missing';
  }
}

/** Reads and checks a pair: both PEM, the key the certificate's (createSecureContext checks that). */
export function loadPair(certFile: string, keyFile: string): TlsPair {
  try {
    const cert = fs.readFileSync(certFile);
    const key = fs.readFileSync(keyFile);
    const context = tls.createSecureContext({ cert, key });
    const leaf = new crypto.X509Certificate(cert);
    return { cert, key, context, fingerprint: leaf.fingerprint256, validTo: leaf.validTo };
  } catch (err) {
    throw fail('LR_TLS_CERT', { cert: certFile, key: keyFile, reason: (err as Error).message });
  }
}
