import { channelApiUrl, channelEventsUrl, channelSharesUrl } from './channel-name';

/** What `GET /api/channels/<channel>` and the `state` SSE event carry. */
export interface ChannelInfo {
  name: string;
  title: string;
  /** '' for none. */
  description: string;
  /** What to say while offline; '' for the default wording. */
  offlineMessage: string;
  live: boolean;
  /** ms since epoch: when the channel went live (or offline). */
  since: number;
  renditions: RenditionInfo[];
}

export interface RenditionInfo {
  name: string;
  width: number;
  height: number;
  bandwidth: number;
}

/** A non-2xx answer from the API, with the server's stable code and message. */
export class ChannelApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ChannelApiError';
  }
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** Checks the shape of a channel object; null when it is not one. */
export function parseChannelInfo(value: unknown): ChannelInfo | null {
  if (!isObject(value) || typeof value.name !== 'string' || typeof value.live !== 'boolean') return null;
  const renditions = Array.isArray(value.renditions) ? value.renditions.filter(isObject) : [];
  return {
    name: value.name,
    title: typeof value.title === 'string' && value.title.trim() !== '' ? value.title : value.name,
    description: typeof value.description === 'string' ? value.description : '',
    offlineMessage: typeof value.offlineMessage === 'string' ? value.offlineMessage : '',
    live: value.live,
    since: num(value.since),
    renditions: renditions.map((r) => ({
      name: typeof r.name === 'string' ? r.name : '',
      width: num(r.width),
      height: num(r.height),
      bandwidth: num(r.bandwidth),
    })),
  };
}

export async function fetchChannel(channel: string, signal?: AbortSignal): Promise<ChannelInfo> {
  const res = await fetch(channelApiUrl(channel), { headers: { accept: 'application/json' }, signal });
  const body: unknown = await res.json().catch(() => null);
  if (!res.ok) {
    const err = isObject(body) && isObject(body.error) ? body.error : {};
    throw new ChannelApiError(
      res.status,
      typeof err.code === 'string' ? err.code : `HTTP_${res.status}`,
      typeof err.message === 'string' ? err.message : `The server answered ${res.status}.`,
    );
  }
  const info = parseChannelInfo(body);
  if (!info) throw new ChannelApiError(res.status, 'LR_BAD_RESPONSE', 'The server sent an unexpected channel object.');
  return info;
}

export type ShareMethod = 'native' | 'copy' | 'embed';

/** Tells the server the page was shared (it counts shares per channel); a failure is only logged. */
export async function reportShare(channel: string, method: ShareMethod): Promise<void> {
  const res = await fetch(channelSharesUrl(channel), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ method }) }).catch(() => null);
  if (!res?.ok) console.warn(`liveroom: the share was not counted (${res ? `HTTP ${res.status}` : 'network error'})`);
}

/**
 * Follows `GET /api/channels/<channel>/events` (SSE, `event: state`).
 * EventSource reconnects by itself after a dropped connection; when the server
 * refuses the stream (HTTP error) it gives up, so we reopen it after a pause.
 */
export class ChannelFeed {
  private source: EventSource | null = null;
  private reopenTimer: ReturnType<typeof setTimeout> | null = null;

  private readonly reopenDelayMs: number;
  private readonly url: string;

  /**
   * `countedByChat`: the page also joins the channel's chat, which counts it as
   * a viewer; the stream then asks the server not to count it a second time.
   */
  constructor(
    channel: string,
    private readonly onInfo: (info: ChannelInfo) => void,
    opts: { reopenDelayMs?: number; countedByChat?: boolean } = {},
  ) {
    this.reopenDelayMs = opts.reopenDelayMs ?? 5000;
    this.url = channelEventsUrl(channel) + (opts.countedByChat ? '?chat=1' : '');
  }

  start(): void {
    if (this.source || this.reopenTimer) return;
    this.open();
  }

  stop(): void {
    if (this.reopenTimer) clearTimeout(this.reopenTimer);
    this.reopenTimer = null;
    this.source?.close();
    this.source = null;
  }

  private open(): void {
    const source = new EventSource(this.url);
    this.source = source;
    source.addEventListener('state', (ev) => {
      let info: ChannelInfo | null = null;
      try {
        info = parseChannelInfo(JSON.parse((ev as MessageEvent<string>).data));
      } catch {
        // Malformed event: ignore it, the next one will do.
      }
      if (info) this.onInfo(info);
    });
    source.addEventListener('error', () => {
      if (source.readyState !== EventSource.CLOSED || this.source !== source) return;
      source.close();
      this.source = null;
      this.reopenTimer = setTimeout(() => {
        this.reopenTimer = null;
        this.open();
      }, this.reopenDelayMs);
    });
  }
}
