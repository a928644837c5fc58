import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';

export const OPENSSL = process.env.OPENSSL_PATH ?? '/usr/bin/openssl';

export interface TestCert {
  cert: string;
  key: string;
  /** SHA-256 fingerprint, as node and openssl print it (AA:BB:…). */
  fingerprint: string;
}

/**
 * A fresh self-signed certificate for localhost and 127.0.0.1 (EC P-256, two days), written by openssl
 * into `dir` as <name>-cert.pem and <name>-key.pem. Made at test time: no key is committed.
 */
export function makeCert(dir: string, name: string): TestCert {
  const cert = path.join(dir, `${name}-cert.pem`);
  const key = path.join(dir, `${name}-key.pem`);
  execFileSync(
    OPENSSL,
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '2',
      '-subj', `/CN=liveroom test ${name}`, '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'],
    { stdio: 'pipe' },
  );
  return { cert, key, fingerprint: new crypto.X509Certificate(fs.readFileSync(cert)).fingerprint256 };
}

/** Replaces the files a server is configured with by another pair (certbot renewing): written beside, then renamed in. */
export function installCert(from: TestCert, to: { cert: string; key: string }): void {
  for (const [src, dst] of [[from.key, to.key], [from.cert, to.cert]] as const) {
    fs.copyFileSync(src, `${dst}.new`);
    fs.renameSync(`${dst}.new`, dst);
  }
}

/** GET over https trusting `ca` (a PEM file) only. */
export function httpsGet(url: string, ca: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca: fs.readFileSync(ca), agent: false }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/** The SHA-256 fingerprint of the certificate a new TLS connection to host:port is given. */
export function peerFingerprint(port: number, host = '127.0.0.1'): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ port, host, servername: 'localhost', rejectUnauthorized: false }, () => {
      const fp = socket.getPeerCertificate().fingerprint256;
      socket.destroy();
      resolve(fp);
    });
    socket.once('error', reject);
  });
}

/**
 * A TCP connection from `localAddress` (any 127.0.0.0/8 address: a distinct client) that sends `bytes` and
 * resolves when the server closes it, with how long that took.
 */
export function sendAndWaitClose(port: number, localAddress: string, bytes: Buffer): Promise<{ ms: number; answered: number }> {
  return new Promise((resolve) => {
    const start = Date.now();
    let answered = 0;
    const socket = net.connect({ port, host: '127.0.0.1', localAddress }, () => socket.write(bytes));
    socket.on('data', (d) => (answered += d.length));
    socket.on('error', () => {});
    socket.once('close', () => resolve({ ms: Date.now() - start, answered }));
  });
}

/** Whether a TLS handshake from `localAddress` completes (false: the server closed it first). */
export function handshakes(port: number, localAddress: string): Promise<boolean> {
  return new Promise((resolve) => {
    const raw = net.connect({ port, host: '127.0.0.1', localAddress });
    raw.on('error', () => {});
    const socket = tls.connect({ socket: raw, servername: 'localhost', rejectUnauthorized: false }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('close', () => resolve(false));
  });
}
