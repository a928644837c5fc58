import type { ChannelInfo } from './channel-api';
import type { Notice } from './hls-player';

export interface StatusDisplayElements {
  title: HTMLElement;
  badge: HTMLElement;
  since: HTMLElement;
  frame: HTMLElement;
  offlineCard: HTMLElement;
  offlineTitle: HTMLElement;
  offlineMessage: HTMLElement;
  description: HTMLElement;
  notice: HTMLElement;
  noticeText: HTMLElement;
  noticeRetry: HTMLButtonElement;
}

/**
 * The channel's status on the watch page: header (title, LIVE badge, start time),
 * its description below the video, and the cards laid over the video, the offline
 * message among them (the server's live state is server/channel-status.ts).
 * Every server string goes through textContent, never innerHTML.
 */
export class StatusDisplay {
  constructor(private readonly els: StatusDisplayElements) {}

  renderInfo(info: ChannelInfo): void {
    const { title, badge, since } = this.els;
    title.textContent = info.title;
    title.title = info.title;
    document.title = `${info.title} · liveroom`;
    badge.hidden = false;
    badge.dataset.live = String(info.live);
    badge.textContent = info.live ? 'LIVE' : 'OFFLINE';
    since.textContent = info.live && info.since > 0 ? `since ${formatClock(info.since)}` : '';
    this.els.offlineTitle.textContent = `${info.title} is offline`;
    this.showText(this.els.offlineMessage, info.offlineMessage);
    this.showText(this.els.description, info.description);
  }

  private showText(el: HTMLElement, text: string): void {
    el.textContent = text;
    el.hidden = text === '';
  }

  /** Before the API answered, or when it has no such channel. */
  renderUnknown(channel: string): void {
    this.els.title.textContent = channel;
    document.title = `${channel} · liveroom`;
    this.els.badge.hidden = true;
    this.els.since.textContent = '';
  }

  showOffline(show: boolean): void {
    this.els.offlineCard.hidden = !show;
  }

  showNotice(notice: Notice | null): void {
    const { notice: box, noticeText, noticeRetry } = this.els;
    box.hidden = notice === null;
    noticeText.textContent = notice?.text ?? '';
    noticeRetry.hidden = !notice?.retry;
  }

  setBuffering(buffering: boolean): void {
    this.els.frame.dataset.buffering = String(buffering);
  }
}

function formatClock(ms: number): string {
  return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}
