/**
 * The admin analytics page (/admin/analytics): asks for the admin token (kept
 * in this page's memory only, sent as a Bearer header, never in a URL), then
 * draws each of the last broadcasts' viewers over time as an inline SVG.
 */
import type { AnalyticsDetail as Detail, AnalyticsList } from '../analytics/analytics-types';
import { byId } from './element-lookup';

const SVG = 'http://www.w3.org/2000/svg';
const W = 600;
const H = 160;
const PAD = { left: 36, right: 8, top: 10, bottom: 22 };

const form = byId('analytics-form', HTMLFormElement);
const tokenInput = byId('analytics-token', HTMLInputElement);
const channelInput = byId('analytics-channel', HTMLInputElement);
const status = byId('analytics-status', HTMLParagraphElement);
const list = byId('analytics-list', HTMLElement);

async function api<T>(path: string, token: string): Promise<T> {
  const res = await fetch(`/api/admin/analytics${path}`, { headers: { authorization: `Bearer ${token}` }, cache: 'no-store' });
  const body = (await res.json()) as T & { error?: { message: string } };
  if (!res.ok) throw new Error(body.error?.message ?? `HTTP ${res.status}`);
  return body;
}

function svgEl<K extends keyof SVGElementTagNameMap>(name: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

const clock = (ms: number) => new Date(ms).toISOString().slice(11, 19);

/** Viewers over time: a line (and the area under it) from the broadcast's start to its last sample, 0 to the peak. */
function chart(b: Detail): SVGSVGElement {
  const svg = svgEl('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'data-broadcast': b.broadcastId, 'data-points': b.samples.length });
  svg.append(svgEl('title', {}, `Viewers of broadcast ${b.broadcastId} over time`));
  const top = Math.max(1, ...b.samples.map((s) => s.viewers));
  const t0 = b.startedAt;
  const t1 = Math.max(t0 + 1, b.samples.at(-1)?.at ?? t0 + 1);
  const x = (at: number) => PAD.left + ((at - t0) / (t1 - t0)) * (W - PAD.left - PAD.right);
  const y = (v: number) => H - PAD.bottom - (v / top) * (H - PAD.top - PAD.bottom);
  const base = y(0);
  svg.append(
    svgEl('line', { class: 'axis', x1: PAD.left, y1: base, x2: W - PAD.right, y2: base }),
    svgEl('line', { class: 'axis', x1: PAD.left, y1: PAD.top, x2: PAD.left, y2: base }),
    svgEl('text', { x: PAD.left - 6, y: y(top) + 4, 'text-anchor': 'end' }, String(top)),
    svgEl('text', { x: PAD.left - 6, y: base + 4, 'text-anchor': 'end' }, '0'),
    svgEl('text', { x: PAD.left, y: H - 6 }, clock(t0)),
    svgEl('text', { x: W - PAD.right, y: H - 6, 'text-anchor': 'end' }, clock(t1)),
  );
  if (b.samples.length) {
    const points = b.samples.map((s) => `${x(s.at).toFixed(1)},${y(s.viewers).toFixed(1)}`);
    svg.append(
      svgEl('polygon', { class: 'area', points: [`${x(b.samples[0].at).toFixed(1)},${base}`, ...points, `${x(t1).toFixed(1)},${base}`].join(' ') }),
      svgEl('polyline', { class: 'line', points: points.join(' ') }),
    );
  }
  return svg;
}

function card(b: Detail): HTMLElement {
  const section = document.createElement('section');
  section.className = 'broadcast';
  section.dataset.broadcast = b.broadcastId;
  const h2 = document.createElement('h2');
  h2.textContent = `${b.channel} · ${new Date(b.startedAt).toISOString().slice(0, 16).replace('T', ' ')} UTC · ${b.broadcastId} (${b.status})`;
  const figures = document.createElement('p');
  figures.className = 'figures';
  figures.textContent =
    `${Math.round(b.durationSeconds)} s · peak ${b.peakViewers} · average ${b.averageViewers} · unique ${b.uniqueViewers} · ` +
    `watch time ${Math.round(b.watchSeconds)} s · ${b.messages} messages from ${b.chatters} chatters · ${b.danmaku} danmaku · ${b.likes} likes · ${b.shares} shares`;
  section.append(h2, figures, chart(b));
  return section;
}

async function show(): Promise<void> {
  const token = tokenInput.value.trim();
  const channel = channelInput.value.trim();
  status.textContent = 'Loading…';
  document.body.dataset.state = 'loading';
  try {
    const query = new URLSearchParams({ limit: '10', ...(channel && { channel }) });
    const { broadcasts } = await api<AnalyticsList>(`?${query}`, token);
    const details = await Promise.all(broadcasts.map((b) => api<Detail>(`/${encodeURIComponent(b.broadcastId)}`, token)));
    list.replaceChildren(...details.map(card));
    status.textContent = details.length ? `The last ${details.length} broadcast(s).` : 'No broadcasts with analytics yet.';
    document.body.dataset.state = 'shown';
  } catch (err) {
    status.textContent = (err as Error).message;
    document.body.dataset.state = 'error';
  }
}

form.addEventListener('submit', (e) => {
  e.preventDefault();
  void show();
});
