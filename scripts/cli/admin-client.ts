import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { loadConfig } from '../../server/config-loader';
import { ADMIN_TOKEN_FILE } from '../../server/admin-token';
import { CliError, UsageError } from './errors';
import { download, request, TLS_VERIFY_CODES, type Reply, type RequestOptions } from './http-request';

export interface ConnectionOptions {
  server?: string;
  token?: string;
  config?: string;
  /** A PEM file of certificates to trust (a self-signed server certificate or a private CA); LIVEROOM_CA too. */
  ca?: string;
  /** Send the admin token over plain http to a host that is not loopback anyway. */
  insecureHttp?: boolean;
}

/**
 * Talks to the admin API. With no --server/--token it finds the local server
 * the way the server finds its settings (LIVEROOM_CONFIG file, then LIVEROOM_*
 * variables): http://127.0.0.1:<http.port> (https:// when 'http.tls' is set),
 * token from <dataDir>/admin-token. The token never goes over plain http to a
 * host that is not loopback unless --insecure-http says so.
 */
export class AdminClient {
  readonly server: string;
  private tokenValue?: string;
  private tokenSource = '--token';
  private readonly dataDir?: string;
  private readonly caFile?: string;
  private readonly caSource: string;
  /** The local server's own certificate file: trusted, and pinned in place of the host-name check (127.0.0.1 is not in it). */
  private readonly localCert?: string;

  constructor(opts: ConnectionOptions, env: NodeJS.ProcessEnv = process.env) {
    const explicit = opts.server || env.LIVEROOM_SERVER || undefined;
    const needConfig = !explicit;
    let config: ReturnType<typeof loadConfig> | undefined;
    try {
      config = loadConfig({ file: opts.config, env });
    } catch (err) {
      // The settings matter only when they are how we find the server or its token.
      if (needConfig || (!opts.token && !env.LIVEROOM_ADMIN_TOKEN)) throw new CliError((err as Error).message);
    }
    const localTls = !explicit && config!.http.tls.cert !== undefined;
    this.server = (explicit ?? localUrl(config!.http.host, config!.http.port, localTls)).replace(/\/+$/, '');
    if (explicit && !/^https?:\/\//.test(this.server)) throw new UsageError(`--server must be an http:// or https:// URL, got '${explicit}'`);
    if (localTls) this.localCert = config!.http.tls.cert;
    const url = new URL(this.server);
    if (url.protocol === 'http:' && !isLoopback(url.hostname) && !opts.insecureHttp) {
      throw new UsageError(
        `refusing to send the admin token over plain http to ${url.host}: anyone on the way could read it and take over the server. ` +
          `Use https:// (set 'http.tls.cert' and 'http.tls.key' on the server, or put it behind a TLS proxy), or add --insecure-http on a network you trust`,
      );
    }
    this.caFile = opts.ca || env.LIVEROOM_CA || undefined;
    this.caSource = opts.ca ? '--ca' : 'LIVEROOM_CA';
    this.dataDir = config?.dataDir;
    if (opts.token) this.tokenValue = opts.token;
    else if (env.LIVEROOM_ADMIN_TOKEN) {
      this.tokenValue = env.LIVEROOM_ADMIN_TOKEN;
      this.tokenSource = 'LIVEROOM_ADMIN_TOKEN';
    }
  }

  /** The token, read lazily so `--help` works anywhere. */
  private token(): string {
    if (this.tokenValue) return this.tokenValue;
    const file = path.resolve(this.dataDir ?? './data', ADMIN_TOKEN_FILE);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new CliError(
        code === 'ENOENT'
          ? `no admin token at ${file}: the server creates it on first start. Run this where the server's data folder is (LIVEROOM_DATA_DIR), or pass --token`
          : `cannot read the admin token ${file}: ${(err as Error).message} (run as the server's user, or pass --token)`,
      );
    }
    this.tokenSource = file;
    return (this.tokenValue = text.trim());
  }

  get<T>(p: string): Promise<T> {
    return this.request<T>('GET', p);
  }

  send<T>(method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', p: string, body?: unknown): Promise<T> {
    return this.request<T>(method, p, body);
  }

  /** GETs an admin path into `file` (an export), reporting progress; the server's error (JSON) becomes a CliError. */
  async download(p: string, file: string, onProgress: (received: number, total: number) => void, timeoutMs = 600_000): Promise<number> {
    const url = `${this.server}/api/admin${p}`;
    let res: Reply & { bytes: number };
    try {
      res = await download(url, { headers: { authorization: `Bearer ${this.token()}` }, timeoutMs, ...this.tlsOptions() }, file, onProgress);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new CliError(`download from ${this.server} failed (${e.code ?? e.message}): is the server running? (--server URL)`, 'unreachable');
    }
    if (res.status >= 200 && res.status < 300) return res.bytes;
    let error: { code?: string; message?: string } | undefined;
    try {
      error = (JSON.parse(res.text) as { error?: { code?: string; message?: string } }).error;
    } catch {
      // not JSON
    }
    if (res.status === 401) throw new CliError(`the server at ${this.server} refused the admin token from ${this.tokenSource} (401): pass --token`, 'unauthorized');
    throw new CliError(error?.message ?? `GET ${url} failed with HTTP ${res.status}`, error?.code);
  }

  private async request<T>(method: string, p: string, body?: unknown): Promise<T> {
    const url = `${this.server}/api/admin${p}`;
    const headers: Record<string, string> = { authorization: `Bearer ${this.token()}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Reply;
    try {
      res = await request(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), timeoutMs: 30_000, ...this.tlsOptions() });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code && TLS_VERIFY_CODES.has(e.code)) {
        throw new CliError(
          `cannot verify the TLS certificate of ${this.server} (${e.code}): ` +
            (this.caFile
              ? `it is not signed by a certificate in ${this.caFile} (${this.caSource}), or not for this host name`
              : `pass the server's certificate (or its CA) with --ca FILE or LIVEROOM_CA, or use the host name the certificate is for`),
          'tls',
        );
      }
      const why = e.code === 'TIMEOUT' ? 'no answer in 30 s' : e.code ?? e.message;
      throw new CliError(
        `cannot reach the liveroom server at ${this.server} (${why}): is it running? Start it with 'liveroom start', or point at another one with --server URL`,
        'unreachable',
      );
    }
    const text = res.text;
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      throw new CliError(`${this.server} answered ${res.status} without JSON: is it a liveroom server (--server)?`);
    }
    if (res.status >= 200 && res.status < 300) return json as T;
    const error = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
    if (res.status === 401) {
      throw new CliError(`the server at ${this.server} refused the admin token from ${this.tokenSource} (401): use the token in the server's data folder (file ${ADMIN_TOKEN_FILE}), or pass --token`, 'unauthorized');
    }
    if (!error?.message) throw new CliError(`${method} ${url} failed with HTTP ${res.status}`);
    throw new CliError(error.message, error.code);
  }

  /** Extra certificates to trust (--ca, LIVEROOM_CA, the local server's own), and the pin for the local server. */
  private tlsOptions(): Pick<RequestOptions, 'ca' | 'checkServerIdentity'> {
    if (!this.server.startsWith('https:')) return {};
    const ca: Buffer[] = [];
    if (this.caFile) {
      try {
        ca.push(fs.readFileSync(this.caFile));
      } catch (err) {
        throw new UsageError(`cannot read the CA file ${this.caFile} (${this.caSource}): ${(err as Error).message}`);
      }
    }
    if (!this.localCert) return ca.length ? { ca } : {};
    let pem: Buffer;
    try {
      pem = fs.readFileSync(this.localCert);
    } catch {
      return ca.length ? { ca } : {}; // not readable as this user: the ordinary checks
    }
    const pinned = new crypto.X509Certificate(pem).fingerprint256;
    return {
      ca: [...ca, pem],
      // The server on this machine presents the certificate its settings name: that is the check, whatever name it is for.
      checkServerIdentity: (host, cert) => (cert.fingerprint256 === pinned ? undefined : tls.checkServerIdentity(host, cert)),
    };
  }
}

function localUrl(host: string, port: number, secure: boolean): string {
  const h = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `${secure ? 'https' : 'http'}://${h.includes(':') ? `[${h}]` : h}:${port}`;
}

/** 127.0.0.0/8, ::1 and localhost: plain http there never leaves the machine. */
export function isLoopback(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}
