import { Writable } from 'node:stream';
import { rtmpSchema } from '../core/config-schema';
import type { IngestRefused, LiveroomEvents, PublishRejected } from '../core/events';
import { createLogger } from '../core/logger';
import { TypedEmitter } from '../core/typed-emitter';
import { RawRtmpClient } from '../scripts/bench/rtmp-raw-client';
import { IngestServer } from './ingest-server';

const KEY = 'k'.repeat(32);

/** How the store answers a key lookup in these tests: as a working store, by throwing (PostgreSQL down), or never. */
type StoreMode = 'up' | 'down' | 'hanging';

describe('IngestServer when the stream-key store fails', () => {
  let ingest: IngestServer;
  let mode: StoreMode;
  const refused: IngestRefused[] = [];
  const rejected: PublishRejected[] = [];
  const lines: Record<string, unknown>[] = [];

  beforeEach(async () => {
    mode = 'up';
    refused.length = rejected.length = lines.length = 0;
    const bus = new TypedEmitter<LiveroomEvents>();
    bus.on('ingest:refused', (e) => refused.push(e));
    bus.on('publish:rejected', (e) => rejected.push(e));
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
        done();
      },
    });
    ingest = new IngestServer({
      // One failed attempt is enough to back an address off: any refusal counted as one would show at the next connect.
      config: rtmpSchema.parse({ port: 0, host: '127.0.0.1', authFailuresBeforeBackoff: 1, authBackoffMs: 30_000, handshakeTimeoutMs: 800, refusalLogIntervalMs: 100 }),
      channelForKey: async (key) => {
        if (mode === 'down') throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
        if (mode === 'hanging') return new Promise<never>(() => {});
        return key === KEY ? 'live' : undefined;
      },
      bus,
      log: createLogger('info', sink),
    });
    await ingest.start();
  });
  afterEach(async () => {
    await ingest.stop();
  });

  /** Handshake, connect, createStream, publish; resolves once the server answered the publish (or closed). */
  const tryPublish = async (key: string): Promise<RawRtmpClient> => {
    const c = await RawRtmpClient.open({ host: '127.0.0.1', port: ingest.port });
    await c.handshake();
    c.connectApp('live', `rtmp://127.0.0.1:${ingest.port}/live`);
    c.createStream();
    c.publish(key);
    await Promise.race([c.closed, c.waitFor(() => c.saw('NetStream.Publish.Start'), 5000, 'Publish.Start').catch(() => {})]);
    return c;
  };
  /** Whether a connection from the same address is refused at accept (backed off): closed before any handshake. */
  const backedOff = async (): Promise<boolean> => {
    const c = await RawRtmpClient.open({ host: '127.0.0.1', port: ingest.port });
    try {
      await c.handshake(2000);
      return false;
    } catch {
      return true;
    } finally {
      c.destroy();
    }
  };

  it('refuses with store-unavailable and NetStream.Failed, logs LR_INGEST_STORE_UNAVAILABLE, and does not back the address off', async () => {
    mode = 'down';
    for (let i = 0; i < 3; i++) {
      const c = await tryPublish(KEY);
      await c.closed;
      expect(c.saw('NetStream.Failed')).toBe(true);
      expect(c.saw('NetStream.Publish.BadName')).toBe(false);
      expect(c.saw('NetStream.Publish.Start')).toBe(false);
      expect(c.received.includes("the server's database is unavailable")).toBe(true);
    }
    expect(rejected.map((r) => r.reason)).toEqual(['store-unavailable', 'store-unavailable', 'store-unavailable']);
    expect(refused.map((r) => r.reason)).toEqual(['store-unavailable', 'store-unavailable', 'store-unavailable']);
    // One error line for the outage, whatever the refusals; the refusals are logged per address as usual.
    expect(lines.filter((l) => l.code === 'LR_INGEST_STORE_UNAVAILABLE' && l.level === 50)).toHaveLength(1);
    const logged = lines.find((l) => l.reason === 'store-unavailable');
    expect(logged).toMatchObject({ code: 'LR_INGEST_STORE_UNAVAILABLE', err: 'connect ECONNREFUSED 127.0.0.1:5432' });
    expect(String(logged?.msg)).toContain('the stream key could not be checked');
    expect(lines.some((l) => l.backoffMs !== undefined)).toBe(false);

    // The database is back: the same address publishes at once.
    mode = 'up';
    const ok = await tryPublish(KEY);
    expect(ok.saw('NetStream.Publish.Start')).toBe(true);
    expect(ingest.isLive('live')).toBe(true);
    expect(lines.some((l) => String(l.msg).startsWith('stream key lookups answer again'))).toBe(true);
    ok.destroy();
  });

  it('a lookup that does not answer before rtmp.handshakeTimeoutMs is store-unavailable too, not a failed attempt', async () => {
    mode = 'hanging';
    const c = await tryPublish(KEY);
    await c.closed;
    expect(refused.map((r) => r.reason)).toEqual(['store-unavailable']);
    expect(lines.find((l) => l.reason === 'store-unavailable')).toMatchObject({ code: 'LR_INGEST_STORE_UNAVAILABLE', afterMs: 800 });
    expect(await backedOff()).toBe(false);
  });

  it('a wrong key still counts as a failed attempt (the address is backed off) and gets BadName', async () => {
    const c = await tryPublish('not-the-key');
    await c.closed;
    expect(c.saw('NetStream.Publish.BadName')).toBe(true);
    expect(rejected.map((r) => r.reason)).toEqual(['unknown-key']);
    expect(await backedOff()).toBe(true);
  });
});
