import { AdminClient, isLoopback } from './admin-client';
import { UsageError } from './errors';

describe('AdminClient and plain http', () => {
  const env = { LIVEROOM_CONFIG: '' };

  it('knows loopback hosts: 127.0.0.0/8, ::1, localhost', () => {
    for (const h of ['127.0.0.1', '127.3.2.1', 'localhost', 'LOCALHOST', 'a.localhost', '[::1]', '::1']) expect(isLoopback(h)).toBe(true);
    for (const h of ['0.0.0.0', '10.0.0.1', '192.168.1.2', 'live.example.com', '127.0.0.1.example.com', '[::]', '[::ffff:7f00:1]']) expect(isLoopback(h)).toBe(false);
  });

  it('refuses to send the token over plain http to a remote host unless --insecure-http; https and loopback are fine', () => {
    expect(() => new AdminClient({ server: 'http://live.example.com:8000', token: 't' }, env)).toThrow(UsageError);
    expect(() => new AdminClient({ server: 'http://live.example.com:8000', token: 't' }, env)).toThrow(
      /refusing to send the admin token over plain http to live\.example\.com:8000: .*--insecure-http/,
    );
    expect(() => new AdminClient({ server: 'http://live.example.com:8000', token: 't', insecureHttp: true }, env)).not.toThrow();
    expect(() => new AdminClient({ server: 'https://live.example.com', token: 't' }, env)).not.toThrow();
    expect(() => new AdminClient({ server: 'http://127.0.0.1:8000', token: 't' }, env)).not.toThrow();
    expect(new AdminClient({ server: 'http://[::1]:8000/', token: 't' }, env).server).toBe('http://[::1]:8000');
  });

  it('finds the local server over https when the settings have a certificate', () => {
    const c = new AdminClient({ token: 't' }, { ...env, LIVEROOM_HTTP_PORT: '8443', LIVEROOM_TLS_CERT: '/x/c.pem', LIVEROOM_TLS_KEY: '/x/k.pem' });
    expect(c.server).toBe('https://127.0.0.1:8443');
    expect(new AdminClient({ token: 't' }, { ...env, LIVEROOM_HTTP_PORT: '8001' }).server).toBe('http://127.0.0.1:8001');
  });
});
