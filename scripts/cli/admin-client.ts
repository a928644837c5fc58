import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../server/config-loader';
import { ADMIN_TOKEN_FILE } from '../../server/admin-token';
import { CliError, UsageError } from './errors';

export interface ConnectionOptions {
  server?: string;
  token?: string;
  config?: string;
}

/**
 * Talks to the admin API. With no --server/--token it finds the local server
 * the way the server finds its settings (LIVEROOM_CONFIG file, then LIVEROOM_*
 * variables): http://127.0.0.1:<http.port>, token from <dataDir>/admin-token.
 */
export class AdminClient {
  readonly server: string;
  private tokenValue?: string;
  private tokenSource = '--token';
  private readonly dataDir?: string;

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
    this.server = (explicit ?? localUrl(config!.http.host, config!.http.port)).replace(/\/+$/, '');
    if (explicit && !/^https?:\/\//.test(this.server)) throw new UsageError(`--server must be an http:// or https:// URL, got '${explicit}'`);
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

  send<T>(method: 'POST' | 'PUT' | 'DELETE', p: string, body?: unknown): Promise<T> {
    return this.request<T>(method, p, body);
  }

  private async request<T>(method: string, p: string, body?: unknown): Promise<T> {
    const url = `${this.server}/api/admin${p}`;
    const headers: Record<string, string> = { authorization: `Bearer ${this.token()}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(30_000) });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      const why = e.name === 'TimeoutError' ? 'no answer in 30 s' : e.cause?.code ?? e.message;
      throw new CliError(
        `cannot reach the liveroom server at ${this.server} (${why}): is it running? Start it with 'liveroom start', or point at another one with --server URL`,
        'unreachable',
      );
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      throw new CliError(`${this.server} answered ${res.status} without JSON: is it a liveroom server (--server)?`);
    }
    if (res.ok) return json as T;
    const error = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
    if (res.status === 401) {
      throw new CliError(`the server at ${this.server} refused the admin token from ${this.tokenSource} (401): use the token in the server's data folder (file ${ADMIN_TOKEN_FILE}), or pass --token`, 'unauthorized');
    }
    if (!error?.message) throw new CliError(`${method} ${url} failed with HTTP ${res.status}`);
    throw new CliError(error.message, error.code);
  }
}

function localUrl(host: string, port: number): string {
  const h = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${h.includes(':') ? `[${h}]` : h}:${port}`;
}
