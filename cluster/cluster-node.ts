import type { ClusterConfig } from '../core/config-schema';
import type { LiveroomEvents } from '../core/events';
import type { Logger } from '../core/logger';
import type { TypedEmitter } from '../core/typed-emitter';
import { OriginRegistry, type NodeInfo, type OriginClaim } from './origin-registry';

export interface ClusterNodeDeps {
  /** 'cluster', with its node URL set. */
  config: ClusterConfig & { nodeUrl: string };
  /** 'chat.redisUrl': the registry lives in the Redis the chat shares. */
  redisUrl: string;
  /** 'http.publicUrl': where the redirect mode sends viewers (the node URL when unset). */
  publicUrl: string | undefined;
  bus: TypedEmitter<LiveroomEvents>;
  /** This node's RTMP ingest: is a publisher connected, and disconnecting it. */
  ingest: { isLive(channel: string): boolean; kick(channel: string): boolean };
  /** The channel's broadcast is on air here (waiting for its publisher included). */
  broadcastLive(channel: string): boolean;
  /** A channel's state on another node changed (open status pages are told). */
  remoteChanged(channel: string): void;
  log: Logger;
}

/**
 * This node's part in a set of nodes on separate hosts ('cluster.nodeUrl'):
 * the origin registry (origin-registry.ts) kept in step with the bus. A
 * publish that starts claims its channel; when the publisher leaves and the
 * broadcast waits for it (reconnect grace) the claim is marked idle, open to a
 * takeover through another node; when the broadcast ends it is released. A
 * publish here is refused while another node's publisher is connected.
 */
export class ClusterNode {
  readonly nodeId: string;
  private registry?: OriginRegistry;
  private readonly log: Logger;

  constructor(private readonly deps: ClusterNodeDeps) {
    this.nodeId = deps.config.nodeId ?? new URL(deps.config.nodeUrl).host;
    this.log = deps.log;
  }

  /** The channel's origin when another node ingests it, from memory. */
  remoteOrigin(channel: string): OriginClaim | undefined {
    return this.registry?.remoteOrigin(channel);
  }

  nodes(): NodeInfo[] {
    return this.registry?.nodes() ?? [];
  }

  /** Why a publish for the channel must be refused here, if it must: another node's publisher is connected. */
  refusal(channel: string): string | undefined {
    const o = this.remoteOrigin(channel);
    // An origin whose publisher left (its reconnect grace) may be taken over: the encoder came back through this node.
    if (!o?.publishing) return undefined;
    return (
      `channel '${channel}' is live on node '${o.node}' (${o.url}) since ${new Date(o.since).toISOString()}: one origin per channel across the nodes; ` +
      `publish there, or end that publish first (a node that died frees its channels after cluster.originTtlMs, ${this.deps.config.originTtlMs} ms)`
    );
  }

  /** Connects to Redis (failing the start with one line when it cannot) and follows the bus. Before the ingest opens. */
  async start(): Promise<void> {
    const { config, bus, ingest, log } = this.deps;
    this.registry = await OriginRegistry.connect({
      redisUrl: this.deps.redisUrl,
      nodeId: this.nodeId,
      nodeUrl: config.nodeUrl,
      publicUrl: this.deps.publicUrl ?? config.nodeUrl,
      ttlMs: config.originTtlMs,
      log,
      onRemoteChange: (channel) => this.deps.remoteChanged(channel),
      onLost: (channel, holder) => this.lost(channel, holder),
    });
    bus.on('publish:started', (e) => {
      const before = this.remoteOrigin(e.channel);
      if (before && !before.publishing) log.info({ channel: e.channel, from: before.node }, 'taking the channel over from a node whose publisher left (its reconnect grace)');
      void this.registry?.claim(e.channel, e.publishId).then((holder) => {
        if (!holder || !ingest.isLive(e.channel)) return;
        log.warn({ channel: e.channel, publishId: e.publishId, holder: holder.node }, 'publish ended: another node claimed this channel first (one origin per channel across the nodes)');
        ingest.kick(e.channel);
      });
    });
    bus.on('publish:ended', (e) => {
      if (this.deps.broadcastLive(e.channel)) void this.registry?.idle(e.channel, e.publishId);
      else void this.registry?.release(e.channel, e.publishId);
    });
    bus.on('channel:state', (e) => {
      if (!e.live && !ingest.isLive(e.channel)) void this.registry?.release(e.channel);
    });
  }

  private lost(channel: string, holder: OriginClaim) {
    if (!this.deps.ingest.isLive(channel)) {
      this.log.warn({ channel, node: holder.node }, 'another node took the channel over (its publisher went there during the reconnect grace); this node serves it from there');
      return;
    }
    this.log.error(
      { channel, node: holder.node },
      'another node took this channel while this one could not renew its claim (Redis unreachable for longer than cluster.originTtlMs): ending the local publish',
    );
    this.deps.ingest.kick(channel);
  }

  /** This node's claims deleted (another node may take its channels at once), the connection closed. */
  async stop(): Promise<void> {
    await this.registry?.stop();
  }
}
