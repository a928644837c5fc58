import type Hls from 'hls.js';
import { ChannelApiError, ChannelFeed, fetchChannel, type ChannelInfo } from './channel-api';
import { masterPlaylistUrl } from './channel-name';
import { StatusDisplay } from './status-display';
import { ChatRoom, type ChatRoomStatus } from './chat-room';
import { byId } from './element-lookup';
import { HlsPlayer, type HlsPlayerHooks } from './hls-player';
import { LatencyReadout } from './latency-readout';
import { ListenerBag } from './listener-bag';
import { PlaybackControls } from './playback-controls';
import { QualityMenu } from './quality-menu';
import { ReplayListView } from './replay-list';
import { ShareControls } from './share-controls';

export type PageState = 'offline' | 'loading' | 'playing' | 'error';

/** What tests and benchmarks read from `window.__liveroom`. */
export interface LiveroomHandle {
  readonly channel: string;
  readonly hls: Hls | null;
  readonly video: HTMLVideoElement;
  readonly state: PageState;
  /** The chat connection: state and who we are in it. */
  readonly chat: ChatRoomStatus;
}

/** After the channel goes offline, keep playing the buffered tail at most this long. */
const DRAIN_MAX_MS = 15_000;

/**
 * The watch page's composition root: follows the channel state (API + SSE),
 * starts the player when the channel is live, shows the offline card when not.
 */
export class WatchPage {
  readonly handle: LiveroomHandle;
  private state: PageState = 'loading';
  private info: ChannelInfo | null = null;
  private feedAnswered = false;
  /** `since` of the broadcast the player was started for. */
  private playingSince: number | null = null;
  /** The playlist ended (ENDLIST) while the API still said live: wait for news. */
  private endedSince: number | null = null;
  private drainTimer: ReturnType<typeof setTimeout> | null = null;
  private fetchAbort: AbortController | null = null;

  private readonly video = byId('video', HTMLVideoElement);
  private readonly listeners = new ListenerBag();
  private readonly status: StatusDisplay;
  private readonly controls: PlaybackControls;
  private readonly quality: QualityMenu;
  private readonly latency: LatencyReadout;
  private readonly player: HlsPlayer;
  private readonly feed: ChannelFeed;
  private readonly chat: ChatRoom;
  private readonly replays: ReplayListView;
  private readonly share: ShareControls;

  constructor(private readonly channel: string) {
    this.replays = new ReplayListView(channel, byId('past-broadcasts', HTMLElement), byId('past-broadcasts-list', HTMLElement));
    const frame = byId('video-frame', HTMLElement);
    this.status = new StatusDisplay({
      title: byId('channel-title', HTMLElement),
      badge: byId('live-badge', HTMLElement),
      since: byId('live-since', HTMLElement),
      frame,
      offlineCard: byId('offline-card', HTMLElement),
      offlineTitle: byId('offline-title', HTMLElement),
      offlineMessage: byId('offline-message', HTMLElement),
      description: byId('channel-description', HTMLElement),
      notice: byId('notice', HTMLElement),
      noticeText: byId('notice-text', HTMLElement),
      noticeRetry: byId('notice-retry', HTMLButtonElement),
    });
    this.controls = new PlaybackControls({
      video: this.video,
      frame,
      muteToggle: byId('mute-toggle', HTMLButtonElement),
      unmutePill: byId('unmute', HTMLButtonElement),
      fullscreen: byId('fullscreen', HTMLButtonElement),
      playBlocked: byId('play-blocked', HTMLButtonElement),
    });
    this.quality = new QualityMenu(byId('quality', HTMLSelectElement));
    this.latency = new LatencyReadout(
      byId('latency', HTMLButtonElement),
      byId('latency-edge', HTMLElement),
      byId('latency-glass', HTMLElement),
      { hls: () => this.player.instance, video: this.video, playing: () => this.state === 'playing' },
    );
    this.player = new HlsPlayer(this.video, this.playerHooks());
    // This page's viewer is counted by its chat connection, not by the state stream.
    this.feed = new ChannelFeed(
      channel,
      (info) => {
        this.feedAnswered = true;
        this.apply(info);
      },
      { countedByChat: true },
    );
    this.chat = new ChatRoom(channel);
    this.share = new ShareControls(
      channel,
      {
        share: byId('share-button', HTMLButtonElement),
        embed: byId('embed-button', HTMLButtonElement),
        feedback: byId('share-feedback', HTMLElement),
        embedPanel: byId('embed-panel', HTMLElement),
        embedCode: byId('embed-code', HTMLTextAreaElement),
        embedCopy: byId('embed-copy', HTMLButtonElement),
      },
      () => this.info?.title ?? channel,
    );

    const page = this;
    this.handle = {
      channel,
      video: this.video,
      get hls() {
        return page.player.instance;
      },
      get state() {
        return page.state;
      },
      get chat() {
        return page.chat.status;
      },
    };
  }

  start(): void {
    this.status.renderUnknown(this.channel);
    this.status.setBuffering(true);
    this.setState('loading');
    this.controls.start();
    this.quality.start();
    this.latency.start();
    this.share.start();
    this.listeners.on(byId('notice-retry', HTMLButtonElement), 'click', () => this.player.retryNow());
    this.feed.start();
    this.chat.start();
    this.fetchAbort = new AbortController();
    fetchChannel(this.channel, this.fetchAbort.signal).then(
      (info) => {
        // The SSE stream may already have sent something newer.
        if (!this.feedAnswered) this.apply(info);
      },
      (err: unknown) => this.onFetchError(err),
    );
  }

  stop(): void {
    this.fetchAbort?.abort();
    this.fetchAbort = null;
    this.cancelDrain();
    this.feed.stop();
    this.chat.stop();
    this.replays.hide();
    this.player.stop();
    this.latency.stop();
    this.share.stop();
    this.quality.stop();
    this.controls.stop();
    this.listeners.clear();
    this.playingSince = null;
    this.feedAnswered = false;
  }

  private apply(info: ChannelInfo): void {
    this.info = info;
    this.status.renderInfo(info);
    if (info.live) this.onLive(info);
    else this.onOffline();
  }

  private onLive(info: ChannelInfo): void {
    if (this.drainTimer !== null) {
      // Back before the old tail finished: that playlist has ENDLIST, load afresh.
      this.startPlayback(info.since);
      return;
    }
    if (this.player.active && info.since === this.playingSince) return;
    if (this.endedSince === info.since) return;
    this.startPlayback(info.since);
  }

  private onOffline(): void {
    this.endedSince = null;
    if (this.drainTimer !== null) return;
    if (this.player.active && this.state === 'playing') {
      // Let viewers see the last seconds (we are hls.latency behind the publisher).
      const behind = this.player.instance?.latency ?? 0;
      this.drainTimer = setTimeout(() => this.goOffline(), Math.min((behind + 1.5) * 1000, DRAIN_MAX_MS));
    } else {
      this.goOffline();
    }
  }

  private startPlayback(since: number): void {
    this.cancelDrain();
    this.endedSince = null;
    this.playingSince = since;
    this.status.showOffline(false);
    this.replays.hide();
    this.player.start(masterPlaylistUrl(this.channel));
  }

  private goOffline(): void {
    this.cancelDrain();
    this.player.stop();
    this.playingSince = null;
    this.status.showNotice(null);
    this.status.showOffline(true);
    this.replays.show();
    this.setState('offline');
  }

  private cancelDrain(): void {
    if (this.drainTimer !== null) clearTimeout(this.drainTimer);
    this.drainTimer = null;
  }

  private onFetchError(err: unknown): void {
    if (err instanceof DOMException && err.name === 'AbortError') return;
    if (err instanceof ChannelApiError && err.status === 404) {
      this.player.stop();
      this.status.renderUnknown(this.channel);
      this.status.showOffline(false);
      this.status.showNotice({ text: err.message, retry: false });
      this.setState('error');
      return;
    }
    // Server unreachable: the SSE stream keeps retrying and will bring the state.
    if (this.info === null) {
      this.status.setBuffering(false);
      this.status.showNotice({ text: 'Cannot reach the server. Retrying…', retry: false });
    }
  }

  private setState(state: PageState): void {
    this.state = state;
    document.body.dataset.state = state;
    this.controls.setVideoShowing(state === 'loading' || state === 'playing');
    this.latency.render();
  }

  private playerHooks(): HlsPlayerHooks {
    return {
      onHls: (hls) => (hls ? this.quality.attach(hls) : this.quality.detach()),
      onState: (state) => this.setState(state),
      onNotice: (notice) => this.status.showNotice(notice),
      onBuffering: (buffering) => this.status.setBuffering(buffering),
      onPlayBlocked: () => this.controls.setPlayBlocked(true),
      onEnded: () => {
        const stillLive = this.drainTimer === null && this.info?.live === true;
        const since = this.playingSince;
        this.goOffline();
        // ENDLIST arrived before the SSE said offline: don't reload that playlist.
        if (stillLive) this.endedSince = since;
      },
      shouldRetry: async () => {
        try {
          const info = await fetchChannel(this.channel);
          this.apply(info);
          return info.live;
        } catch (err) {
          if (err instanceof ChannelApiError && err.status === 404) {
            this.onFetchError(err);
            return false;
          }
          return true;
        }
      },
    };
  }
}
