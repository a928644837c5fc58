import type { Channel } from '../storage/channel-store';
import type { ShareCounts } from '../storage/share-store';
import type { RenditionSummary } from '../packager/channel-packager';

export interface ChannelView {
  name: string;
  title: string;
  description: string;
  /** What the page shows while offline; '' for its default wording. */
  offlineMessage: string;
  live: boolean;
  /** When it went live or offline, ms since epoch (0: never live in this run). */
  since: number;
  renditions: RenditionSummary[];
  /** Times the page was shared: in all, and during the broadcast on air (null when offline). */
  shares: { total: number; broadcast: number | null };
}

type Listener = (view: ChannelView) => void;

export interface ChannelStatusDeps {
  lookup(name: string): Promise<Channel | undefined>;
  renditions(name: string): RenditionSummary[];
  /** The channel's share counts, over all broadcasts or over one. */
  shares(name: string, broadcastId?: string): Promise<ShareCounts>;
  /** The broadcast on air, if any. */
  broadcastOnAir(name: string): string | null;
  /** Nodes on separate hosts: the channel live on another node (its HLS is proxied there), with when it started. */
  remote?(name: string): { node: string; since: number } | undefined;
}

/**
 * Live/offline per channel, as the packager reports it, with its profile (title,
 * description, offline message), and subscribers for Server-Sent Events: a state
 * change or a profile change (refresh) reaches every open page.
 */
export class ChannelStatus {
  private readonly state = new Map<string, { live: boolean; since: number }>();
  private readonly listeners = new Map<string, Set<Listener>>();
  /** Refreshes go out in the order they were asked for (each reads the store). */
  private refreshes: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: ChannelStatusDeps,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  /** Whether the channel's playlists are playable now (this node's packager). */
  live(name: string): boolean {
    return this.state.get(name)?.live ?? false;
  }

  async view(name: string): Promise<ChannelView | undefined> {
    const local = this.state.get(name) ?? { live: false, since: 0 };
    // Live here wins; otherwise live on another node counts as live (this node serves its HLS through that node).
    const remote = local.live ? undefined : this.deps.remote?.(name);
    const s = remote ? { live: true, since: remote.since } : local;
    const broadcast = local.live ? this.deps.broadcastOnAir(name) : null;
    const renditions = local.live ? this.deps.renditions(name) : [];
    const [ch, all, during] = await Promise.all([
      this.deps.lookup(name),
      this.deps.shares(name),
      broadcast === null ? undefined : this.deps.shares(name, broadcast),
    ]);
    if (!ch) return undefined;
    return {
      name: ch.name,
      title: ch.title,
      description: ch.description,
      offlineMessage: ch.offlineMessage,
      live: s.live,
      since: s.since,
      renditions,
      shares: { total: all.total, broadcast: during?.total ?? null },
    };
  }

  set(name: string, live: boolean): void {
    this.state.set(name, { live, since: Date.now() });
    void this.refresh(name);
  }

  /** Sends the channel's view to its subscribers again (its profile changed); resolves once sent. */
  refresh(name: string): Promise<void> {
    // The state is read now; the store's part when the refreshes before it are out.
    const state = this.state.get(name);
    const step = async () => {
      if (!this.listeners.get(name)?.size) return;
      const view = await this.view(name);
      if (view && state) Object.assign(view, { live: state.live, since: state.since });
      if (view) for (const l of this.listeners.get(name) ?? []) l(view);
    };
    this.refreshes = this.refreshes.then(step).catch(this.onError);
    return this.refreshes;
  }

  subscribe(name: string, listener: Listener): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add(listener);
    return () => {
      set!.delete(listener);
      if (set!.size === 0) this.listeners.delete(name);
    };
  }
}
