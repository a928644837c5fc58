import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { RawHttpClient } from './raw-http';

describe('RawHttpClient', () => {
  let server: http.Server;
  let port = 0;
  const connections: string[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const url = req.url ?? '/';
      if (url === '/length') return void res.writeHead(200, { 'Content-Length': '5' }).end('hello');
      if (url === '/chunked') {
        res.writeHead(404);
        res.write('not ');
        res.write('here');
        return void res.end();
      }
      if (url === '/not-modified') return void res.writeHead(304).end();
      if (url === '/close') return void res.writeHead(200, { Connection: 'close', 'Content-Length': '3' }).end('bye');
      if (url === '/hang') return; // never answered
      res.writeHead(500).end();
    });
    server.on('connection', (s) => connections.push(`${s.remotePort}`));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('reads Content-Length, chunked and bodiless responses over one kept-alive socket', async () => {
    const c = new RawHttpClient('127.0.0.1', port);
    const before = connections.length;
    const a = await c.get('/length');
    expect([a.status, a.body.toString()]).toEqual([200, 'hello']);
    const b = await c.get('/chunked');
    expect([b.status, b.body.toString()]).toEqual([404, 'not here']);
    const n = await c.get('/not-modified');
    expect([n.status, n.body.length]).toEqual([304, 0]);
    expect(connections.length - before).toBe(1);
    c.close();
  });

  it('reconnects after the server says Connection: close', async () => {
    const c = new RawHttpClient('127.0.0.1', port);
    const before = connections.length;
    expect((await c.get('/close')).body.toString()).toBe('bye');
    expect((await c.get('/length')).body.toString()).toBe('hello');
    expect(connections.length - before).toBe(2);
    c.close();
  });

  it('fails a request that hears nothing for the timeout, and refuses a second one in flight', async () => {
    const c = new RawHttpClient('127.0.0.1', port, undefined, 300);
    const hung = c.get('/hang');
    await expect(c.get('/length')).rejects.toThrow('already in flight');
    await expect(hung).rejects.toThrow('timeout');
    expect((await c.get('/length')).status).toBe(200);
    c.close();
  });
});
