import type { Channel } from '../storage/channel-store';
import type { RenditionSummary } from '../packager/channel-packager';

export interface ChannelView {
  name: string;
  title: string;
  live: boolean;
  /** When it went live or offline, ms since epoch (0: never live in this run). */
  since: number;
  renditions: RenditionSummary[];
}

type Listener = (view: ChannelView) => void;

/** Live/offline per channel, as the packager reports it, with subscribers for Server-Sent Events. */
export class ChannelStatus {
  private readonly state = new Map<string, { live: boolean; since: number }>();
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(
    private readonly lookup: (name: string) => Channel | undefined,
    private readonly renditions: (name: string) => RenditionSummary[],
  ) {}

  view(name: string): ChannelView | undefined {
    const ch = this.lookup(name);
    if (!ch) return undefined;
    const s = this.state.get(name) ?? { live: false, since: 0 };
    return { name: ch.name, title: ch.title, live: s.live, since: s.since, renditions: s.live ? this.renditions(name) : [] };
  }

  set(name: string, live: boolean): void {
    this.state.set(name, { live, since: Date.now() });
    const view = this.view(name);
    if (view) for (const l of this.listeners.get(name) ?? []) l(view);
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
