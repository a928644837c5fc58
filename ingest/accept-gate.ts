import type net from 'node:net';

/** Says whether a connection just accepted from `address` may go on (and registers it when it may). */
export type AdmitAddress = (address: string) => boolean;

/** The parts of Node's TCP handles (`tcp_wrap`) the gate uses. */
interface ServerHandle {
  onconnection?: (this: ServerHandle, err: number, client?: ClientHandle) => void;
}
interface ClientHandle {
  getpeername(out: { address?: string }): number;
  close(): void;
}

/**
 * Connections on `server` that `admit` lets in reach `onAdmitted`; the others
 * are closed at accept.
 *
 * Where it can, the check runs on the accepted handle itself, before Node
 * makes a net.Socket for it: a refused connection (an address backed off or over
 * its limit, the server full) then costs an accept, a getpeername and a close,
 * and leaves no socket, stream state or listeners behind for the garbage
 * collector. Under a flood of refused connections (thousands a second, issue 13)
 * that garbage is what grew the server's memory. Node does the same with
 * `server.maxConnections` (net.js closes the handle before making a socket), but
 * offers no per-address hook, so the handle's `onconnection` is wrapped. If a
 * Node version no longer has it, the check runs on the new socket instead, which
 * behaves the same and costs a socket per refusal.
 */
export function gateConnections(server: net.Server, admit: AdmitAddress, onAdmitted: (socket: net.Socket, address: string) => void): void {
  /** Set while Node makes the socket for a connection the gate admitted (synchronously, inside onconnection). */
  let admitted: string | undefined;
  server.on('listening', () => {
    const handle = (server as unknown as { _handle?: ServerHandle })._handle;
    const original = handle?.onconnection;
    if (!handle || typeof original !== 'function') return;
    handle.onconnection = function (err, client) {
      if (err || !client) return original.call(this, err, client);
      const peer: { address?: string } = {};
      client.getpeername(peer);
      const address = peer.address ?? '';
      if (!admit(address)) return client.close();
      admitted = address;
      try {
        original.call(this, err, client);
      } finally {
        admitted = undefined;
      }
    };
  });
  server.on('connection', (socket: net.Socket) => {
    const address = admitted ?? socket.remoteAddress ?? '';
    // Not through the gate (a Node without the hook, or a connection accepted before 'listening'): check it here.
    if (admitted === undefined && !admit(address)) {
      socket.on('error', () => {});
      socket.destroy();
      return;
    }
    onAdmitted(socket, address);
  });
}
