import net from 'node:net';
import { gateConnections } from './accept-gate';

/** Connects from `localAddress`; resolves with what the server wrote before closing (or after 2 s). */
function talk(port: number, localAddress: string): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port, localAddress });
    let got = '';
    s.on('data', (d) => (got += d.toString()));
    s.on('error', () => {});
    const t = setTimeout(() => s.destroy(), 2000);
    s.on('close', () => {
      clearTimeout(t);
      resolve(got);
    });
  });
}

describe('gateConnections', () => {
  let server: net.Server;
  afterEach(() => new Promise<void>((r) => server.close(() => r())));

  it('closes refused addresses at accept, before any socket is made, and hands admitted ones on with their address', async () => {
    server = net.createServer();
    const asked: string[] = [];
    const admitted: string[] = [];
    let socketsMade = 0;
    server.on('connection', () => socketsMade++);
    gateConnections(
      server,
      (address) => {
        asked.push(address);
        return address !== '127.0.0.9';
      },
      (socket, address) => {
        admitted.push(address);
        socket.end(`hello ${address}`);
      },
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as net.AddressInfo).port;

    expect(await talk(port, '127.0.0.9')).toBe('');
    expect(await talk(port, '127.0.0.2')).toBe('hello 127.0.0.2');
    expect(await talk(port, '127.0.0.9')).toBe('');

    expect(asked).toEqual(['127.0.0.9', '127.0.0.2', '127.0.0.9']);
    expect(admitted).toEqual(['127.0.0.2']);
    // Only the admitted connection became a net.Socket (the gate ran on the handle).
    expect(socketsMade).toBe(1);
  });
});
