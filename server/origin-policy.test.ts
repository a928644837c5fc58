import { originPolicy } from './origin-policy';

describe('originPolicy', () => {
  it('allows the request host, http.publicUrl, http.allowedOrigins and clients without an Origin', () => {
    const allow = originPolicy({ publicUrl: 'https://live.example.com/', allowedOrigins: ['https://blog.example'] });
    expect(allow(undefined, 'localhost:8000')).toBe(true);
    expect(allow('http://localhost:8000', 'localhost:8000')).toBe(true);
    expect(allow('https://live.example.com', '127.0.0.1:8000')).toBe(true); // behind a proxy that rewrote Host
    expect(allow('https://blog.example', 'localhost:8000')).toBe(true);
    expect(allow('https://evil.example', 'localhost:8000')).toBe(false);
    expect(allow('http://localhost:9999', 'localhost:8000')).toBe(false);
    expect(allow('null', 'localhost:8000')).toBe(false);
    expect(allow('https://site.example', 'site.example:443')).toBe(true);
    expect(allow('https://site.example', 'SITE.example')).toBe(true);
    expect(allow('https://evil.example', undefined)).toBe(false);
  });

  it('allows any origin with ["*"]', () => {
    expect(originPolicy({ allowedOrigins: ['*'] })('https://anything.example', 'x')).toBe(true);
  });
});
