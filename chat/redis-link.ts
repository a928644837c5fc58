import { createAdapter } from '@socket.io/redis-streams-adapter';
import { createClient } from 'redis';
import type { Logger } from '../core/logger';
import { fail } from '../core/errors';

type RedisClient = ReturnType<typeof createClient>;
/** What `new Server(httpServer, { adapter })` takes. */
export type AdapterFactory = ReturnType<typeof createAdapter>;

/** Where the Redis key names start, so a Redis shared with other software stays tidy. */
const KEY_PREFIX = 'liveroom:chat';

/** The URL without a password, for logs and errors. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/** A one-line reason from a connection error (Node's AggregateError for a dual-stack host has an empty message). */
function reason(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length) return err.errors.map(reason).join('; ');
  if (err instanceof Error) return err.message || (err as NodeJS.ErrnoException).code || err.name;
  return String(err);
}

export interface RedisLinkOptions {
  url: string;
  log: Logger;
  /** How long start() keeps trying before it gives up (Redis starting beside us, e.g. in compose). */
  startTimeoutMs?: number;
}

/**
 * The chat's connection to Redis for running on several nodes: one command
 * client plus the clients the adapter duplicates from it (a blocking XREAD
 * reader and a pub/sub subscriber), and the Socket.IO adapter built on them.
 *
 * Why @socket.io/redis-streams-adapter and not @socket.io/redis-adapter
 * (pub/sub): with pub/sub, a packet published while a node's subscriber is
 * disconnected (a Redis restart, a network blip, a failover) is simply gone
 * for that node's viewers. The streams adapter appends every broadcast to a
 * Redis stream (capped, XADD MAXLEN ~10 000) and each node reads it with
 * XREAD from the last id it saw, so after a blip it resumes where it stopped
 * and delivers what it missed; the command client queues writes while
 * reconnecting. It also supports Socket.IO connection-state recovery (the
 * session in Redis, missed packets replayed from the stream), which the
 * pub/sub adapter does not. The cost is Redis memory for the capped stream and
 * one XREAD round trip per batch. Request/response traffic (fetchSockets,
 * serverSideEmit) still goes over pub/sub in both adapters: it is ephemeral and
 * times out rather than replays, which suits it (viewer counts are re-sent
 * every few seconds anyway).
 *
 * `connect()` fails fast with one line naming LIVEROOM_REDIS_URL when Redis
 * cannot be reached at start; once started, a lost connection is retried with
 * backoff forever and logged once per outage. `close()` closes every client.
 */
export class RedisLink {
  private closed = false;

  private constructor(
    private readonly client: RedisClient,
    /** The clients the adapter duplicated from `client`. */
    private readonly duplicates: readonly RedisClient[],
    readonly adapter: AdapterFactory,
  ) {}

  static async connect(opts: RedisLinkOptions): Promise<RedisLink> {
    const { url, log } = opts;
    const shown = redactRedisUrl(url);
    const deadline = Date.now() + (opts.startTimeoutMs ?? 3000);
    let started = false;
    let down = false;
    const client: RedisClient = createClient({
      url,
      // No per-command timeout: while Redis is away, writes wait in the offline queue and go out on reconnect (the
      // adapter then resumes its stream). node-redis 5+ times commands out after 5 s by default, and the adapter leaves
      // some of those rejections unhandled: a Redis outage longer than 5 s took the whole process down.
      commandOptions: { timeout: 0 },
      socket: {
        connectTimeout: 2000,
        // Before start: retry briefly, then give up (connect() rejects). After: back off up to 5 s, forever.
        reconnectStrategy: (retries) => (started ? Math.min(100 * 2 ** retries, 5000) : Date.now() < deadline ? 250 : false),
      },
    });
    client.on('error', (err: unknown) => {
      if (!started || down) return;
      down = true;
      log.warn({ redis: shown, err: reason(err) }, 'chat lost Redis: other nodes miss this one until it is back; retrying');
    });
    client.on('ready', () => {
      if (down) log.info({ redis: shown }, 'chat reconnected to Redis');
      down = false;
    });
    try {
      await client.connect();
    } catch (err) {
      client.destroy();
      throw fail('LR_REDIS_UNAVAILABLE', { url: shown, reason: reason(err) });
    }
    started = true;
    // The adapter duplicates the client (reader, subscriber); keep them so close() can close them too.
    const duplicates: RedisClient[] = [];
    const duplicate = client.duplicate.bind(client);
    client.duplicate = ((...args: Parameters<RedisClient['duplicate']>) => {
      const c = duplicate(...args);
      duplicates.push(c as RedisClient);
      return c;
    }) as RedisClient['duplicate'];
    const adapter = createAdapter(client, {
      streamName: KEY_PREFIX,
      channelPrefix: KEY_PREFIX,
      // Chat payloads are JSON: skip the per-packet scan for binary data.
      onlyPlaintext: true,
    });
    log.info({ redis: shown }, 'chat connected to Redis: rooms, counts and moderation are shared with the other nodes');
    return new RedisLink(client, duplicates, adapter);
  }

  /**
   * Closes every client. Call after the adapter is closed (io's namespace
   * adapter.close()), which stops the reader loop; pending writes get up to
   * `graceMs` to reach Redis, then everything is torn down.
   */
  async close(graceMs = 1000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const graceful = this.client.isOpen ? this.client.close().catch(() => {}) : Promise.resolve();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([graceful, new Promise<void>((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
    // destroy() is idempotent; the reader may be parked in a blocking XREAD, which this ends now.
    for (const c of [this.client, ...this.duplicates]) {
      try {
        c.destroy();
      } catch {
        /* already gone */
      }
    }
  }
}
