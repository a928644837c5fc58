import net from 'node:net';
import tls from 'node:tls';
import { fail } from '../core/errors';
import { gateConnections } from './accept-gate';

export interface RtmpsListenerOptions {
  port: number;
  host: string;
  /** The certificate to present, asked per connection: a renewed one applies to the next connection, no restart. */
  secureContext(): tls.SecureContext;
  /** Whether a connection just accepted from `address` may go on (the per-address guard; see accept-gate.ts). */
  admit(address: string): boolean;
  /**
   * An admitted TCP connection, before any TLS byte is read. `upgrade` starts the
   * server side of the TLS handshake on it and returns the socket RTMP runs on.
   */
  onConnection(raw: net.Socket, address: string, upgrade: () => tls.TLSSocket): void;
}

/**
 * RTMPS ingest (RTMP over TLS, as OBS sends to rtmps://HOST:1936/live).
 *
 * Why our own listener that terminates TLS in process, and not node-media-server's
 * RTMPS: we already own the RTMP TCP listener (see nms-bridge.ts: node-media-server's
 * listener ignores port 0, exits the process on a port clash and has none of our
 * limits), and its RTMPS server is the same unguarded listener with TLS in front.
 * Why not a TLS proxy piping into the plain RTMP port: every publisher would then
 * arrive from 127.0.0.1 and share one address's limits and backoff. Here the plain
 * TCP socket is accepted first, the per-address guard runs on its real address
 * before any TLS work (a backed-off or over-limit address costs one accept and one
 * close, no handshake), and the TLS socket wrapping that very socket is what
 * node-media-server's RTMP session reads: same limits, same address, same handshake
 * timeout (it covers the TLS handshake too). A failed TLS handshake counts as a
 * failed attempt against the address, like a protocol violation.
 */
export class RtmpsListener {
  private server?: net.Server;

  constructor(private readonly opts: RtmpsListenerOptions) {}

  get port(): number {
    const addr = this.server?.address();
    return typeof addr === 'object' && addr ? addr.port : 0;
  }

  async start(onError: (err: Error) => void): Promise<void> {
    const { port, host } = this.opts;
    const server = net.createServer();
    gateConnections(server, this.opts.admit, (raw, address) => this.opts.onConnection(raw, address, () => this.upgrade(raw)));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        this.server = undefined;
        reject(
          err.code === 'EADDRINUSE'
            ? fail('LR_PORT_IN_USE', { service: 'RTMPS', port, variable: 'LIVEROOM_RTMPS_PORT', key: 'rtmp.tlsPort' })
            : fail('LR_LISTEN_FAILED', { service: 'RTMPS', host, port, reason: err.message }),
        );
      });
      server.listen(port, host, () => resolve());
    });
    server.on('error', onError);
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server?.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private upgrade(raw: net.Socket): tls.TLSSocket {
    return new tls.TLSSocket(raw, {
      isServer: true,
      secureContext: this.opts.secureContext(),
    });
  }
}
