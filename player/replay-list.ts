import type { ReplayList } from '../recordings/replay-types';

const SHOWN = 6;

function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h} h ${m} min` : m > 0 ? `${m} min` : `${s} s`;
}

/**
 * The channel's past broadcasts on the offline card of the watch page: links
 * to their replay pages with their thumbnails, newest first. Fetched each time the channel goes
 * offline (a broadcast that just ended is listed once its recording closed).
 */
export class ReplayListView {
  private abort: AbortController | null = null;

  constructor(private readonly channel: string, private readonly box: HTMLElement, private readonly list: HTMLElement) {}

  show(): void {
    this.abort?.abort();
    const abort = (this.abort = new AbortController());
    fetch(`/api/channels/${encodeURIComponent(this.channel)}/replays?limit=${SHOWN}`, { signal: abort.signal })
      .then((r) => (r.ok ? (r.json() as Promise<ReplayList>) : undefined))
      .then((body) => {
        if (abort.signal.aborted || !body) return;
        this.list.replaceChildren(
          ...body.replays.map((r) => {
            const li = document.createElement('li');
            const a = document.createElement('a');
            a.href = r.page;
            a.className = 'replay-link';
            a.dataset.id = r.id;
            if (r.thumbnail) {
              // The middle frame; decorative (the text says what it is).
              const img = document.createElement('img');
              img.className = 'replay-thumb';
              img.src = r.thumbnail;
              img.alt = '';
              img.loading = 'lazy';
              img.decoding = 'async';
              a.append(img);
            }
            const when = new Date(r.startedAt);
            const text = document.createElement('span');
            text.textContent = `${r.title} · ${when.toLocaleDateString()} ${when.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })} · ${formatDuration(r.duration)}`;
            a.append(text);
            li.append(a);
            return li;
          }),
        );
        this.box.hidden = body.replays.length === 0;
      })
      .catch(() => {
        // Offline card without the list: nothing to tell the viewer.
      });
  }

  hide(): void {
    this.abort?.abort();
    this.abort = null;
    this.box.hidden = true;
  }
}
