import type Hls from 'hls.js';
import type { ReplayMessages, ReplaySummary } from '../recordings/replay-types';
import { renderMessage, renderNotice } from './chat-line';
import { ChatReplay } from './chat-replay';
import { DanmakuOverlay } from './danmaku-overlay';
import { byId } from './element-lookup';
import { HlsPlayer } from './hls-player';
import { ListenerBag } from './listener-bag';

export type ReplayState = 'loading' | 'playing' | 'ended' | 'error';

/** What tests read from `window.__liveroom` on a replay page. */
export interface ReplayHandle {
  readonly channel: string;
  readonly id: string;
  readonly hls: Hls | null;
  readonly video: HTMLVideoElement;
  readonly state: ReplayState;
  /** The wall clock of the picture shown (EXT-X-PROGRAM-DATE-TIME), ms; null before the first frame. */
  readonly wallClock: number | null;
  /** Ids of the chat messages shown now. */
  readonly shownMessages: string[];
}

/** `/watch/<channel>/replays/<id>` → [channel, id]. */
export function replayFromPath(pathname: string): [string, string] | undefined {
  const m = /^\/watch\/([^/]+)\/replays\/([^/]+)\/?$/.exec(pathname);
  if (!m) return undefined;
  try {
    return [decodeURIComponent(m[1]), decodeURIComponent(m[2])];
  } catch {
    return [m[1], m[2]];
  }
}

/** VOD: no low-latency mode; start at the beginning. */
const VOD_CONFIG = { lowLatencyMode: false, startPosition: 0, backBufferLength: 60 };
const TICK_MS = 200;

function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}` : `${m}:${String(s % 60).padStart(2, '0')}`;
}

/**
 * The replay page: the recording played by the same HlsPlayer as the live
 * room (VOD settings, native controls for seeking), and the broadcast's chat
 * and bullet comments replayed at the moments they were sent. The video's
 * position becomes wall-clock time through the playlist's
 * EXT-X-PROGRAM-DATE-TIME (hls.js playingDate); ChatReplay says what was sent
 * by then, and a seek either way rebuilds the chat as it stood.
 */
export class ReplayPage {
  readonly handle: ReplayHandle;
  private state: ReplayState = 'loading';
  private readonly video = byId('video', HTMLVideoElement);
  private readonly list = byId('chat-list', HTMLOListElement);
  private readonly listeners = new ListenerBag();
  private readonly player: HlsPlayer;
  private readonly danmaku: DanmakuOverlay;
  private replay: ChatReplay | null = null;
  private shown: string[] = [];
  private wall: number | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private abort: AbortController | null = null;

  constructor(private readonly channel: string, private readonly id: string) {
    this.danmaku = new DanmakuOverlay(byId('danmaku-layer', HTMLElement));
    this.player = new HlsPlayer(
      this.video,
      {
        onHls: () => {},
        onState: (s) => this.setState(s === 'playing' ? 'playing' : s === 'error' ? 'error' : 'loading'),
        onNotice: (n) => this.notice(n?.text ?? null),
        onBuffering: (b) => (byId('video-frame', HTMLElement).dataset.buffering = String(b)),
        onPlayBlocked: () => this.notice('Press play to start the replay.'),
        onEnded: () => this.setState('ended'),
        // A replay's files do not come back by waiting: two retries, then the error stands.
        shouldRetry: async () => true,
      },
      VOD_CONFIG,
    );
    const page = this;
    this.handle = {
      channel,
      id,
      video: this.video,
      get hls() {
        return page.player.instance;
      },
      get state() {
        return page.state;
      },
      get wallClock() {
        return page.wall;
      },
      get shownMessages() {
        return [...page.shown];
      },
    };
  }

  start(): void {
    this.setState('loading');
    this.danmaku.start();
    this.abort = new AbortController();
    const base = `/api/channels/${encodeURIComponent(this.channel)}/replays/${encodeURIComponent(this.id)}`;
    const get = async <T>(url: string): Promise<T> => {
      const res = await fetch(url, { signal: this.abort!.signal });
      const body = (await res.json().catch(() => ({}))) as T & { error?: { message?: string } };
      if (!res.ok) throw new Error(body.error?.message ?? `HTTP ${res.status}`);
      return body;
    };
    get<ReplaySummary>(base)
      .then((info) => {
        this.render(info);
        this.player.start(info.playlist);
        return get<ReplayMessages>(`${base}/messages`);
      })
      .then((chat) => {
        this.replay = new ChatReplay(chat.messages);
        byId('chat-status', HTMLElement).textContent =
          chat.messages.length === 0 ? 'No chat during this broadcast.' : `${chat.messages.length} message${chat.messages.length === 1 ? '' : 's'}, shown as they were sent.`;
        this.timer = setInterval(() => this.tick(), TICK_MS);
        this.listeners.on(this.video, 'seeked', () => this.tick());
      })
      .catch((err: unknown) => {
        if (err instanceof DOMException && err.name === 'AbortError') return;
        this.setState('error');
        this.notice((err as Error).message);
      });
  }

  stop(): void {
    this.abort?.abort();
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.listeners.clear();
    this.player.stop();
    this.danmaku.stop();
  }

  private tick(): void {
    const date = this.player.instance?.playingDate;
    if (!this.replay || !date) return;
    const wall = date.getTime();
    this.wall = wall;
    const step = this.replay.advance(wall);
    if (step.rebuild) {
      this.list.replaceChildren(...step.rebuild.map((m) => renderMessage(m)));
      this.shown = step.rebuild.map((m) => m.id);
      this.danmaku.clear();
    }
    for (const m of step.added) {
      this.list.append(renderMessage(m));
      this.shown.push(m.id);
      if (m.kind === 'danmaku' && !this.video.paused) this.danmaku.push({ id: m.id, text: m.text, mode: m.mode, color: m.color, self: false });
    }
    if (step.rebuild || step.added.length) this.list.scrollTop = this.list.scrollHeight;
  }

  private render(info: ReplaySummary): void {
    document.title = `${info.title} (replay) · liveroom`;
    byId('channel-title', HTMLElement).textContent = info.title;
    const when = new Date(info.startedAt);
    byId('replay-meta', HTMLElement).textContent = `${when.toLocaleDateString()} ${when.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })} · ${formatDuration(info.duration)}`;
    const live = byId('live-link', HTMLAnchorElement);
    live.href = `/watch/${encodeURIComponent(info.channel)}`;
  }

  private notice(text: string | null): void {
    const el = byId('notice', HTMLElement);
    el.hidden = text === null;
    byId('notice-text', HTMLElement).textContent = text ?? '';
    if (text && this.state === 'error') this.list.append(renderNotice(text, 'error'));
  }

  private setState(state: ReplayState): void {
    this.state = state;
    document.body.dataset.state = state;
  }
}
