import { loadConfig, parseConfig } from './config-loader';

describe('config', () => {
  it('runs on embedded defaults', () => {
    const c = loadConfig({ env: {} });
    expect(c.rtmp.port).toBe(1935);
    expect(c.http.port).toBe(8000);
    expect(c.dataDir).toBe('./data');
    expect(c.defaultChannel).toBe('live');
    expect(c.hls.partTarget).toBeGreaterThanOrEqual(0.2);
    expect(c.hls.partTarget).toBeLessThanOrEqual(0.333);
    expect(Object.isFrozen(c.hls)).toBe(true);
  });

  it('takes LIVEROOM_ environment variables', () => {
    const c = loadConfig({ env: { LIVEROOM_RTMP_PORT: '2935', LIVEROOM_HTTP_PORT: '9000', LIVEROOM_DATA_DIR: '/tmp/x', LIVEROOM_STREAM_KEY: 'abcdefgh1234' } });
    expect(c.rtmp.port).toBe(2935);
    expect(c.http.port).toBe(9000);
    expect(c.dataDir).toBe('/tmp/x');
    expect(c.streamKey).toBe('abcdefgh1234');
  });

  it('takes the shared store as a postgres:// URL (LIVEROOM_DATABASE_URL), and never echoes a bad one', () => {
    expect(loadConfig({ env: {} }).databaseUrl).toBeUndefined();
    const url = 'postgres://liveroom:pa55word@db.example:5432/liveroom';
    expect(loadConfig({ env: { LIVEROOM_DATABASE_URL: url } }).databaseUrl).toBe(url);
    expect(parseConfig({ databaseUrl: 'postgresql://db.example/liveroom' }).databaseUrl).toBe('postgresql://db.example/liveroom');
    let message = '';
    try {
      loadConfig({ env: { LIVEROOM_DATABASE_URL: 'mysql://liveroom:pa55word@db.example/liveroom' } });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/'databaseUrl'.*postgres:\/\//);
    expect(message).not.toContain('pa55word');
  });

  it('names the bad key in one line', () => {
    expect(() => loadConfig({ env: { LIVEROOM_HTTP_PORT: 'eighty' } })).toThrow(/LIVEROOM_HTTP_PORT.*http\.port/);
    expect(() => loadConfig({ env: { LIVEROOM_HTTP_PORT: '70000' } })).toThrow(/'http\.port'/);
    expect(() => parseConfig({ rtmp: { prot: 1 } })).toThrow(/unknown setting 'rtmp\.prot'/);
    expect(() => parseConfig({ hls: { partTarget: 1.5, segmentTarget: 1 } })).toThrow(/'hls.partTarget' \(1.5\) must be below 'hls.segmentTarget'/);
    expect(() => loadConfig({ env: { LIVEROOM_STREAM_KEY: 'short' } })).toThrow(/'streamKey'/);
  });

  it('checks the cluster settings, naming the key', () => {
    const redis = { chat: { redisUrl: 'redis://10.0.0.2:6379' } };
    const c = loadConfig({ env: { LIVEROOM_REDIS_URL: 'redis://10.0.0.2:6379', LIVEROOM_NODE_URL: 'http://10.0.0.5:8000', LIVEROOM_NODE_ID: 'node-a' } });
    expect(c.cluster).toEqual({ nodeUrl: 'http://10.0.0.5:8000', nodeId: 'node-a', originTtlMs: 5000, hlsMode: 'proxy', proxyTimeoutMs: 15_000 });
    expect(() => parseConfig({ cluster: { nodeUrl: 'http://10.0.0.5:8000' } })).toThrow(/'cluster\.nodeUrl' needs 'chat\.redisUrl'/);
    expect(() => parseConfig({ ...redis, cluster: { nodeUrl: 'ftp://10.0.0.5' } })).toThrow(/'cluster\.nodeUrl': an http:\/\/ or https:\/\/ URL/);
    expect(() => parseConfig({ ...redis, cluster: { hlsMode: 'mirror' } })).toThrow(/'cluster\.hlsMode'/);
    expect(() => parseConfig({ ...redis, hls: { blockingTimeoutTargets: 5, segmentTarget: 2 }, cluster: { nodeUrl: 'http://10.0.0.5:8000', proxyTimeoutMs: 15_000 } })).toThrow(
      /'cluster\.proxyTimeoutMs' \(15000\) must exceed the longest blocking reload.*\(20000\)/,
    );
    // A node that is not in a cluster proxies nothing: long blocking reloads are its own business.
    expect(parseConfig({ hls: { blockingTimeoutTargets: 5, segmentTarget: 2 } }).cluster.proxyTimeoutMs).toBe(15_000);
  });

  it('checks the metrics and webhook settings, naming the key', () => {
    const secret = 'sixteen-chars-or-more';
    expect(parseConfig({}).metrics).toEqual({ enabled: true, host: '127.0.0.1' });
    expect(loadConfig({ env: { LIVEROOM_METRICS_TOKEN: 'a-metrics-token-0001', LIVEROOM_METRICS_PORT: '9464' } }).metrics).toMatchObject({ token: 'a-metrics-token-0001', port: 9464 });
    expect(() => parseConfig({ metrics: { token: 'short' } })).toThrow(/'metrics\.token'/);
    expect(parseConfig({ webhooks: [{ url: 'https://hooks.example/liveroom', secret }] }).webhooks).toEqual([{ url: 'https://hooks.example/liveroom', secret }]);
    expect(() => parseConfig({ webhooks: [{ url: 'ftp://hooks.example/', secret }] })).toThrow(/'webhooks\.0\.url'/);
    expect(() => parseConfig({ webhooks: [{ url: 'https://hooks.example/', secret: 'short' }] })).toThrow(/'webhooks\.0\.secret': at least 16 characters/);
    expect(() => parseConfig({ webhooks: [{ url: 'https://hooks.example/', secret, events: ['stream.paused'] }] })).toThrow(/'webhooks\.0\.events\.0'/);
    expect(() => parseConfig({ webhookDelivery: { maxAttempts: 0 } })).toThrow(/'webhookDelivery\.maxAttempts'/);
  });

  it('takes a TLS certificate and key together or not at all', () => {
    expect(() => parseConfig({ http: { tls: { cert: '/etc/c.pem' } } })).toThrow(/'http\.tls\.cert' is set but 'http\.tls\.key' is not: give both/);
    expect(() => loadConfig({ env: { LIVEROOM_TLS_KEY: '/etc/k.pem' } })).toThrow(/'http\.tls\.key' is set but 'http\.tls\.cert' is not/);
    const c = loadConfig({ env: { LIVEROOM_TLS_CERT: '/etc/c.pem', LIVEROOM_TLS_KEY: '/etc/k.pem', LIVEROOM_RTMPS_PORT: '1937' } });
    expect(c.http.tls).toMatchObject({ cert: '/etc/c.pem', key: '/etc/k.pem' });
    expect(c.rtmp.tlsPort).toBe(1937);
    expect(loadConfig({ env: {} }).rtmp.tlsPort).toBe(1936);
    expect(() => parseConfig({ http: { tls: { cert: 'c', key: 'k' } }, rtmp: { tlsPort: 1935 } })).toThrow(/'rtmp\.tlsPort' \(1935\) must differ from 'rtmp\.port'/);
  });

  it('reads a JSON file before the environment', () => {
    const fs = require('node:fs');
    const os = require('node:os');
    const path = require('node:path');
    const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lr-')), 'c.json');
    fs.writeFileSync(f, JSON.stringify({ http: { port: 8100 }, rtmp: { port: 1940 } }));
    const c = loadConfig({ file: f, env: { LIVEROOM_RTMP_PORT: '1950' } });
    expect(c.http.port).toBe(8100);
    expect(c.rtmp.port).toBe(1950);
    fs.writeFileSync(f, '{oops');
    expect(() => loadConfig({ file: f, env: {} })).toThrow(/not valid JSON/);
  });

  it('takes trusted proxies as addresses or CIDR ranges, and says what replaced chat.trustProxy', () => {
    const c = loadConfig({ env: { LIVEROOM_TRUSTED_PROXIES: '127.0.0.1, 10.0.0.0/8,fd00::/8' } });
    expect(c.http.trustedProxies).toEqual(['127.0.0.1', '10.0.0.0/8', 'fd00::/8']);
    expect(parseConfig({}).http.trustedProxies).toEqual([]);
    expect(() => parseConfig({ http: { trustedProxies: ['10.0.0.0/33'] } })).toThrow(/'http.trustedProxies.0': an IPv4 or IPv6 address, or a CIDR range/);
    expect(() => parseConfig({ http: { trustedProxies: ['proxy.local'] } })).toThrow(/'http.trustedProxies.0'/);
    expect(() => parseConfig({ chat: { trustProxy: true } })).toThrow(
      /invalid configuration: 'chat.trustProxy' is replaced by 'http.trustedProxies': list the addresses of your reverse proxies/,
    );
    expect(() => parseConfig({ http: { allowedOrigins: ['https://a.example/'] } })).toThrow(/'http.allowedOrigins.0': an origin/);
    expect(parseConfig({ http: { allowedOrigins: ['https://a.example', '*'] } }).http.allowedOrigins).toHaveLength(2);
    expect(() => parseConfig({ http: { frameAncestors: "'self'; script-src *" } })).toThrow(/'http.frameAncestors'/);
  });
});
