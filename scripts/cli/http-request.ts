import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';

export interface RequestOptions {
  method: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  /** Extra PEM certificates to trust on top of the system's (a self-signed server certificate, a private CA). */
  ca?: Buffer[];
  /** Replaces the host-name check (the local server, pinned by its own certificate file). */
  checkServerIdentity?: (host: string, cert: tls.PeerCertificate) => Error | undefined;
}

export interface Reply {
  status: number;
  text: string;
}

/** Errors whose code means "the certificate could not be verified" (not "the server is not there"). */
export const TLS_VERIFY_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);

/** http or https for a URL, and for https the CA to trust and the identity check the options ask for. */
function transportFor(u: URL, opts: Pick<RequestOptions, 'ca' | 'checkServerIdentity'>): { secure: boolean; tlsOptions: https.RequestOptions } {
  const secure = u.protocol === 'https:';
  const tlsOptions: https.RequestOptions = secure
    ? {
        ...(opts.ca && { ca: [...tls.rootCertificates, ...opts.ca] }),
        ...(opts.checkServerIdentity && { checkServerIdentity: opts.checkServerIdentity }),
      }
    : {};
  return { secure, tlsOptions };
}

/**
 * One request over node:http or node:https (not fetch: Node's bundled fetch
 * cannot be given a CA to trust without the undici package).
 */
export function request(url: string, opts: RequestOptions): Promise<Reply> {
  const u = new URL(url);
  const { secure, tlsOptions } = transportFor(u, opts);
  return new Promise<Reply>((resolve, reject) => {
    const req = (secure ? https : http).request(
      u,
      { method: opts.method, headers: opts.headers, timeout: opts.timeoutMs, agent: false, ...tlsOptions },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', reject);
    req.end(opts.body);
  });
}

/**
 * A GET whose 2xx body goes to `file` as it arrives (an export), with `onProgress(received, total)` per chunk
 * (total from Content-Length, 0 when unknown). Any other status resolves with the body as text, nothing written.
 */
export function download(
  url: string,
  opts: Omit<RequestOptions, 'method' | 'body'>,
  file: string,
  onProgress: (received: number, total: number) => void,
): Promise<Reply & { bytes: number }> {
  const u = new URL(url);
  const { secure, tlsOptions } = transportFor(u, opts);
  return new Promise((resolve, reject) => {
    const req = (secure ? https : http).request(u, { method: 'GET', headers: opts.headers, timeout: opts.timeoutMs, agent: false, ...tlsOptions }, (res) => {
      const status = res.statusCode ?? 0;
      if (status < 200 || status >= 300) {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status, text: Buffer.concat(chunks).toString('utf8'), bytes: 0 }));
        res.on('error', reject);
        return;
      }
      const total = Number(res.headers['content-length'] ?? 0) || 0;
      const out = fs.createWriteStream(file, { mode: 0o644 });
      let received = 0;
      res.on('data', (c: Buffer) => {
        received += c.length;
        onProgress(received, total);
      });
      res.on('error', (err) => (out.destroy(), reject(err)));
      out.on('error', (err) => (res.destroy(), reject(err)));
      out.on('finish', () => resolve({ status, text: '', bytes: received }));
      res.pipe(out);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', reject);
    req.end();
  });
}
