import { createClient } from 'redis';
import { fail } from '../core/errors';
import type { Logger } from '../core/logger';
import { redactRedisUrl } from '../chat/redis-link';

type RedisClient = ReturnType<typeof createClient>;

/** Where the registry's key names start (the chat's are under liveroom:chat). */
const PREFIX = 'liveroom:cluster:';
const ORIGIN = `${PREFIX}origin:`;
const ORIGINS = `${PREFIX}origins`;
const NODE = `${PREFIX}node:`;
const NODES = `${PREFIX}nodes`;

/** A node's claim on a channel: it ingests it, and its packager is the channel's HLS origin. */
export interface OriginClaim {
  channel: string;
  /** The node's id ('cluster.nodeId'). */
  node: string;
  /** Its internal base URL, where the other nodes proxy HLS ('cluster.nodeUrl'). */
  url: string;
  /** Where viewers may be sent to it ('http.publicUrl', else its node URL): the redirect mode. */
  publicUrl: string;
  /** When the publish started, ms since epoch. */
  since: number;
  publishId: string;
  /**
   * False while the origin waits for its publisher to come back ('hls.reconnectGraceMs'): the broadcast is still
   * served there, but a publish for the channel on another node may take it over.
   */
  publishing: boolean;
}

export interface NodeInfo {
  id: string;
  url: string;
  publicUrl: string;
  startedAt: number;
}

/**
 * Claims a key when it is free, already this node's (a restart of the same node), or held by a node whose publisher
 * left (its reconnect grace), atomically.
 * KEYS[1] origin key, KEYS[2] index set; ARGV[1] value, ARGV[2] TTL ms, ARGV[3] node id, ARGV[4] channel.
 * Returns nil when claimed, or the holder's value.
 */
const CLAIM = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local ok, holder = pcall(cjson.decode, cur)
  if not (ok and type(holder) == 'table' and (holder.node == ARGV[3] or holder.publishing == false)) then return cur end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('SADD', KEYS[2], ARGV[4])
return false`;

/**
 * The heartbeat of one claim: renewed (with this node's current value) while it is still ours, taken again when it
 * is gone (Redis restarted or flushed, or the heartbeat came late and nobody took it). Same keys and arguments as
 * CLAIM. Returns nil when still ours, or the value of the node that holds it now.
 */
const RENEW = `
local cur = redis.call('GET', KEYS[1])
if cur == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return false end
if cur then
  local ok, holder = pcall(cjson.decode, cur)
  if not (ok and type(holder) == 'table' and holder.node == ARGV[3]) then return cur end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('SADD', KEYS[2], ARGV[4])
return false`;

/** Deletes a claim only if it is still this one. KEYS[1] key, KEYS[2] index set; ARGV[1] value, ARGV[2] member. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('SREM', KEYS[2], ARGV[2])
  return 1
end
return 0`;

/**
 * Every live entry of an index: [member, value, pttl, ...]; members whose key expired are dropped from the set.
 * KEYS[1] index set; ARGV[1] key prefix.
 */
const LIST = `
local out = {}
for _, m in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local k = ARGV[1] .. m
  local v = redis.call('GET', k)
  if v then
    table.insert(out, m)
    table.insert(out, v)
    table.insert(out, tostring(redis.call('PTTL', k)))
  else
    redis.call('SREM', KEYS[1], m)
  end
end
return out`;

export interface OriginRegistryOptions {
  redisUrl: string;
  nodeId: string;
  nodeUrl: string;
  publicUrl: string;
  /** 'cluster.originTtlMs'. */
  ttlMs: number;
  log: Logger;
  /** A channel's claim by another node appeared, changed or went away (status pages are told). */
  onRemoteChange?: (channel: string) => void;
  /**
   * This node's claim was taken by another node: a publish there took over while this node's publisher was gone
   * (reconnect grace), or this node could not renew it (a Redis outage longer than the TTL) and another took it.
   */
  onLost?: (channel: string, holder: OriginClaim) => void;
  /** How long start() keeps trying before it gives up. */
  startTimeoutMs?: number;
}

interface Cached {
  claim: OriginClaim;
  /** When this node should stop believing it without news from Redis. */
  expiresAt: number;
}

function parseClaim(channel: string, raw: string): OriginClaim | undefined {
  try {
    const v = JSON.parse(raw) as Partial<OriginClaim>;
    if (typeof v.node !== 'string' || typeof v.url !== 'string') return undefined;
    return {
      channel,
      node: v.node,
      url: v.url,
      publicUrl: typeof v.publicUrl === 'string' ? v.publicUrl : v.url,
      since: Number(v.since) || 0,
      publishId: String(v.publishId ?? ''),
      publishing: v.publishing !== false,
    };
  } catch {
    return undefined;
  }
}

function reason(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length) return err.errors.map(reason).join('; ');
  if (err instanceof Error) return err.message || (err as NodeJS.ErrnoException).code || err.name;
  return String(err);
}

/**
 * Nodes on separate hosts, in Redis: which node is each live channel's origin.
 *
 * A node that starts ingesting a channel claims `liveroom:cluster:origin:<channel>`
 * (set only if free, with a TTL of 'cluster.originTtlMs'), renews it every
 * third of the TTL while the publish lasts, and deletes it when the publish
 * ends. A node that dies stops renewing, and its claims expire after the TTL.
 * Every node reads all claims on the same beat into a local table, so the
 * questions asked per request (is this channel live elsewhere? where?) are
 * answered from memory, never waiting on Redis.
 *
 * With Redis down, the node keeps serving what it ingests: claims it cannot
 * write are retried on each beat (the publish goes on), and what it knew of
 * other nodes is forgotten as their TTLs run out. Commands fail at once while
 * disconnected (no offline queue), so nothing waits on a dead Redis.
 */
export class OriginRegistry {
  /** Claims by other nodes, by channel. */
  private remote = new Map<string, Cached>();
  private nodeList: NodeInfo[] = [];
  /** This node's claims: channel → the exact value written. */
  private readonly own = new Map<string, string>();
  /** Deletes in flight: stop() waits for them before it closes the connection. */
  private readonly releasing = new Set<Promise<void>>();
  private timer?: NodeJS.Timeout;
  private beating?: Promise<void>;
  private down = false;
  private stopped = false;
  private readonly startedAt = Date.now();

  private constructor(
    private readonly client: RedisClient,
    private readonly opts: OriginRegistryOptions,
  ) {}

  get nodeId(): string {
    return this.opts.nodeId;
  }

  static async connect(opts: OriginRegistryOptions): Promise<OriginRegistry> {
    const shown = redactRedisUrl(opts.redisUrl);
    const deadline = Date.now() + (opts.startTimeoutMs ?? 3000);
    let started = false;
    const client: RedisClient = createClient({
      url: opts.redisUrl,
      // While disconnected a command fails at once instead of waiting in a queue: an HLS request never waits on Redis.
      disableOfflineQueue: true,
      socket: {
        connectTimeout: 2000,
        reconnectStrategy: (retries) => (started ? Math.min(100 * 2 ** retries, 5000) : Date.now() < deadline ? 250 : false),
      },
    });
    const registry = new OriginRegistry(client, opts);
    client.on('error', (err: unknown) => {
      if (started) registry.lost(err);
    });
    client.on('ready', () => {
      if (!registry.down) return;
      registry.down = false;
      opts.log.info({ redis: shown }, 'cluster registry reconnected to Redis');
      void registry.beat();
    });
    try {
      await client.connect();
    } catch (err) {
      client.destroy();
      throw fail('LR_REDIS_UNAVAILABLE', { url: shown, reason: reason(err) });
    }
    started = true;
    await registry.beat();
    const every = Math.max(250, Math.min(1000, Math.floor(opts.ttlMs / 3)));
    registry.timer = setInterval(() => void registry.beat(), every);
    opts.log.info({ node: opts.nodeId, url: opts.nodeUrl, ttlMs: opts.ttlMs }, 'cluster: this node is in the registry; channels live on other nodes are served from their origin');
    return registry;
  }

  private lost(err: unknown) {
    if (this.down || this.stopped) return;
    this.down = true;
    this.opts.log.warn(
      { redis: redactRedisUrl(this.opts.redisUrl), err: reason(err) },
      'cluster registry lost Redis: this node serves what it ingests; channels on other nodes are forgotten as their claims run out; retrying',
    );
  }

  /** The channel's origin when it is another node, from memory. */
  remoteOrigin(channel: string): OriginClaim | undefined {
    const c = this.remote.get(channel);
    if (!c) return undefined;
    if (c.expiresAt <= Date.now()) return undefined;
    return c.claim;
  }

  /** Every channel live on another node. */
  remoteOrigins(): OriginClaim[] {
    const now = Date.now();
    return [...this.remote.values()].filter((c) => c.expiresAt > now).map((c) => c.claim);
  }

  /** The nodes seen at the last beat (this one included). */
  nodes(): NodeInfo[] {
    return this.nodeList;
  }

  /**
   * Claims the channel for this node: undefined when it is ours now, or the claim of the node that holds it.
   * With Redis down the claim is taken locally and written on a later beat (the publish is not refused for it).
   */
  async claim(channel: string, publishId: string): Promise<OriginClaim | undefined> {
    const value = JSON.stringify({ node: this.opts.nodeId, url: this.opts.nodeUrl, publicUrl: this.opts.publicUrl, since: Date.now(), publishId, publishing: true });
    try {
      const holder = await this.client.eval(CLAIM, { keys: [ORIGIN + channel, ORIGINS], arguments: [value, String(this.opts.ttlMs), this.opts.nodeId, channel] });
      if (typeof holder === 'string') return parseClaim(channel, holder) ?? { channel, node: '(unreadable claim)', url: '', publicUrl: '', since: 0, publishId: '', publishing: true };
    } catch (err) {
      this.lost(err);
    }
    this.own.set(channel, value);
    this.remote.delete(channel);
    return undefined;
  }

  /**
   * The publisher left but the broadcast waits for it (reconnect grace): the claim stays, marked so that a publish
   * on another node may take the channel over. Written now, or on the next beat.
   */
  async idle(channel: string, publishId: string): Promise<void> {
    const value = this.own.get(channel);
    if (value === undefined) return;
    const claim = JSON.parse(value) as OriginClaim;
    if (claim.publishId !== publishId) return;
    const next = JSON.stringify({ ...claim, publishing: false });
    this.own.set(channel, next);
    await this.renew(channel, next).catch((err: unknown) => this.lost(err));
  }

  /** The broadcast is over: the claim is deleted if it is still this one (and, with `publishId`, that publish's). */
  async release(channel: string, publishId?: string): Promise<void> {
    const value = this.own.get(channel);
    if (value === undefined) return;
    if (publishId !== undefined && (JSON.parse(value) as OriginClaim).publishId !== publishId) return;
    this.own.delete(channel);
    const done = this.client.eval(RELEASE, { keys: [ORIGIN + channel, ORIGINS], arguments: [value, channel] }).then(
      () => undefined,
      (err: unknown) => this.lost(err), // it expires by itself after the TTL
    );
    this.releasing.add(done);
    await done;
    this.releasing.delete(done);
  }

  /** Renews this node's claims and its node entry, then reads every claim; one at a time. */
  private beat(): Promise<void> {
    if (this.stopped || !this.client.isReady) return Promise.resolve();
    this.beating ??= this.beatOnce().finally(() => (this.beating = undefined));
    return this.beating;
  }

  private async beatOnce(): Promise<void> {
    const { nodeId, ttlMs } = this.opts;
    try {
      const node: NodeInfo = { id: nodeId, url: this.opts.nodeUrl, publicUrl: this.opts.publicUrl, startedAt: this.startedAt };
      await this.client.multi().set(NODE + nodeId, JSON.stringify(node), { expiration: { type: 'PX', value: ttlMs } }).sAdd(NODES, nodeId).exec();
      for (const [channel, value] of [...this.own]) await this.renew(channel, value);
      const now = Date.now();
      const next = new Map<string, Cached>();
      const rows = (await this.client.eval(LIST, { keys: [ORIGINS], arguments: [ORIGIN] })) as string[];
      for (let i = 0; i + 2 < rows.length; i += 3) {
        const claim = parseClaim(rows[i], rows[i + 1]);
        if (!claim || claim.node === nodeId) continue;
        const pttl = Number(rows[i + 2]);
        next.set(claim.channel, { claim, expiresAt: now + (pttl > 0 ? pttl : ttlMs) });
      }
      const nodes: NodeInfo[] = [];
      const nodeRows = (await this.client.eval(LIST, { keys: [NODES], arguments: [NODE] })) as string[];
      for (let i = 0; i + 2 < nodeRows.length; i += 3) {
        try {
          nodes.push(JSON.parse(nodeRows[i + 1]) as NodeInfo);
        } catch {
          /* not ours */
        }
      }
      this.nodeList = nodes.sort((a, b) => a.id.localeCompare(b.id));
      this.swap(next);
    } catch (err) {
      this.lost(err);
      // Without news, believe each claim only until its TTL runs out.
      const now = Date.now();
      this.swap(new Map([...this.remote].filter(([, c]) => c.expiresAt > now)));
    }
  }

  /** Renews one of this node's claims; another node holding it now means it was lost (onLost). */
  private async renew(channel: string, value: string): Promise<void> {
    const { nodeId, ttlMs } = this.opts;
    const holder = await this.client.eval(RENEW, { keys: [ORIGIN + channel, ORIGINS], arguments: [value, String(ttlMs), nodeId, channel] });
    if (typeof holder !== 'string' || this.own.get(channel) !== value) return;
    this.own.delete(channel);
    const claim = parseClaim(channel, holder);
    if (claim) this.opts.onLost?.(channel, claim);
  }

  private swap(next: Map<string, Cached>) {
    const prev = this.remote;
    this.remote = next;
    const changed = new Set<string>();
    for (const [ch, c] of next) {
      const p = prev.get(ch);
      if (!p || p.claim.node !== c.claim.node || p.claim.publishId !== c.claim.publishId || p.claim.publishing !== c.claim.publishing) changed.add(ch);
    }
    for (const ch of prev.keys()) if (!next.has(ch)) changed.add(ch);
    for (const ch of changed) this.opts.onRemoteChange?.(ch);
  }

  /** Deletes this node's claims and entry (best effort, a second at most), then closes the connection. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    clearInterval(this.timer);
    await this.beating?.catch(() => {});
    const releases = [...this.own.keys()].map((ch) => this.release(ch)).concat([...this.releasing]);
    const tidy = Promise.all([...releases, this.client.isReady ? this.client.sRem(NODES, this.opts.nodeId).then(() => this.client.del(NODE + this.opts.nodeId)) : undefined]).catch(() => {});
    let t: NodeJS.Timeout | undefined;
    await Promise.race([tidy, new Promise<void>((r) => (t = setTimeout(r, 1000)))]);
    clearTimeout(t);
    this.stopped = true;
    try {
      this.client.destroy();
    } catch {
      /* already gone */
    }
  }
}
