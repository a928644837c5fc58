import { reportShare, type ShareMethod } from './channel-api';
import { embedPageUrl, watchPageUrl } from './channel-name';
import { ListenerBag } from './listener-bag';

export interface ShareControlsElements {
  share: HTMLButtonElement;
  embed: HTMLButtonElement;
  /** "Link copied" and the like (role=status). */
  feedback: HTMLElement;
  embedPanel: HTMLElement;
  embedCode: HTMLTextAreaElement;
  embedCopy: HTMLButtonElement;
}

/** How long "Link copied" stays. */
const FEEDBACK_MS = 2500;

/** The iframe code that embeds the channel's player (`title` escaped for its attribute). */
export function embedCode(origin: string, channel: string, title: string): string {
  const attr = title.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `<iframe src="${embedPageUrl(origin, channel)}" width="640" height="360" style="border:0" allow="autoplay; fullscreen; picture-in-picture" allowfullscreen title="${attr}"></iframe>`;
}

/**
 * Share and Embed under the video. Share opens the browser's share sheet
 * (navigator.share) where there is one, and otherwise copies the watch link;
 * Embed shows the iframe code with a Copy button. Each share that went out
 * (the sheet resolved, the copy succeeded) is reported to the server, which counts it.
 */
export class ShareControls {
  private readonly listeners = new ListenerBag();
  private feedbackTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly channel: string,
    private readonly els: ShareControlsElements,
    private readonly title: () => string,
  ) {}

  start(): void {
    const { share, embed, embedCopy } = this.els;
    this.listeners.on(share, 'click', () => void this.share());
    this.listeners.on(embed, 'click', () => this.toggleEmbed());
    this.listeners.on(embedCopy, 'click', () => void this.copy(this.els.embedCode.value, 'embed', 'Embed code copied'));
  }

  stop(): void {
    this.listeners.clear();
    if (this.feedbackTimer !== null) clearTimeout(this.feedbackTimer);
    this.feedbackTimer = null;
  }

  private async share(): Promise<void> {
    const url = watchPageUrl(location.origin, this.channel);
    if (typeof navigator.share !== 'function') return this.copy(url, 'copy', 'Link copied');
    try {
      await navigator.share({ title: this.title(), url });
    } catch (err) {
      // Closed without sharing: nothing went out. Anything else (not allowed here): copy instead.
      if (err instanceof DOMException && err.name === 'AbortError') return;
      return this.copy(url, 'copy', 'Link copied');
    }
    this.showFeedback('Shared');
    void reportShare(this.channel, 'native');
  }

  private toggleEmbed(): void {
    const { embed, embedPanel, embedCode: code } = this.els;
    const open = embedPanel.hidden;
    embedPanel.hidden = !open;
    embed.setAttribute('aria-expanded', String(open));
    if (!open) return;
    code.value = embedCode(location.origin, this.channel, this.title());
    code.select();
  }

  private async copy(text: string, method: ShareMethod, done: string): Promise<void> {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      this.showFeedback('Could not copy here: copy it by hand');
      return;
    }
    this.showFeedback(done);
    void reportShare(this.channel, method);
  }

  private showFeedback(text: string): void {
    const { feedback } = this.els;
    feedback.textContent = text;
    feedback.hidden = false;
    if (this.feedbackTimer !== null) clearTimeout(this.feedbackTimer);
    this.feedbackTimer = setTimeout(() => {
      feedback.hidden = true;
      this.feedbackTimer = null;
    }, FEEDBACK_MS);
  }
}
