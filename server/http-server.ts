import http from 'node:http';
import https from 'node:https';
import express, { type Express } from 'express';
import type { HttpConfig } from '../core/config-schema';
import { fail } from '../core/errors';
import type { Logger } from '../core/logger';

/** A PEM certificate (chain) and its key. */
export interface TlsPem {
  cert: Buffer;
  key: Buffer;
}

/**
 * The Express app on a node http.Server, or an https.Server when given a certificate
 * (the chat's Socket.IO attaches to either, so it runs over WSS on the same port),
 * with a listen that reports a port clash as one clear error.
 */
/** How a listen failure names the listener: the service, and the variable and key that set its port. */
export interface ListenerNames {
  service: 'HTTP' | 'metrics HTTP';
  variable: string;
  key: string;
}

const MAIN_LISTENER: ListenerNames = { service: 'HTTP', variable: 'LIVEROOM_HTTP_PORT', key: 'http.port' };

export class HttpServer {
  readonly app: Express = express();
  readonly server: http.Server | https.Server;
  /** Answers before Express, returning true when it took the request (the HLS handler: no router for the hot path). */
  private front?: (req: http.IncomingMessage, res: http.ServerResponse) => boolean;

  constructor(
    private readonly config: Pick<HttpConfig, 'port' | 'host'>,
    private readonly log: Logger,
    tls?: TlsPem,
    private readonly names: ListenerNames = MAIN_LISTENER,
  ) {
    this.app.disable('x-powered-by');
    this.app.set('etag', false);
    const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
      if (!this.front?.(req, res)) this.app(req, res);
    };
    this.server = tls ? https.createServer({ cert: tls.cert, key: tls.key }, listener) : http.createServer(listener);
    this.server.keepAliveTimeout = 65_000;
  }

  /** Puts `handler` in front of the app: what it returns true for never reaches Express. */
  handleFirst(handler: (req: http.IncomingMessage, res: http.ServerResponse) => boolean): void {
    this.front = handler;
  }

  get secure(): boolean {
    return this.server instanceof https.Server;
  }

  /** A renewed certificate: new connections get it, open ones keep theirs; no restart. */
  setCertificate(tls: TlsPem): void {
    if (this.server instanceof https.Server) this.server.setSecureContext({ cert: tls.cert, key: tls.key });
  }

  get port(): number {
    const addr = this.server.address();
    return typeof addr === 'object' && addr ? addr.port : 0;
  }

  async start(): Promise<void> {
    const { port, host } = this.config;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) =>
        reject(
          err.code === 'EADDRINUSE'
            ? fail('LR_PORT_IN_USE', { service: this.names.service, port, variable: this.names.variable, key: this.names.key })
            : fail('LR_LISTEN_FAILED', { service: this.names.service, host, port, reason: err.message }),
        );
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
    this.server.on('error', (err) => this.log.error({ err: err.message }, `${this.names.service} server error`));
    this.log.info({ port: this.port, tls: this.secure }, `${this.names.service}${this.secure ? 'S' : ''} listening`);
  }

  /**
   * Stops listening; responses in flight (a blocked playlist request just answered
   * with ENDLIST) get up to `graceMs` to finish, then every connection is closed.
   */
  async stop(graceMs = 1000): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([closed, new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
    this.server.closeAllConnections();
    await closed;
  }
}
