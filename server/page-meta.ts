import type { Channel } from '../storage/channel-store';

/** Text for an HTML attribute or element: every character that could end one is an entity. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The watch page's <title>, description and link-preview tags (Open Graph,
 * Twitter card) for a channel, rendered by the server so that crawlers, which
 * run no script, see them. `base` is the public origin (http.publicUrl or the
 * request's own); every value is escaped.
 */
export function pageMeta(channel: Channel, base: string): string {
  const name = encodeURIComponent(channel.name);
  const description = channel.description || `${channel.title}: live video and chat`;
  const tags: [attr: 'property' | 'name', key: string, value: string][] = [
    ['name', 'description', description],
    ['property', 'og:type', 'video.other'],
    ['property', 'og:site_name', 'liveroom'],
    ['property', 'og:title', channel.title],
    ['property', 'og:description', description],
    ['property', 'og:url', `${base}/watch/${name}`],
    ['property', 'og:image', `${base}/api/channels/${name}/thumbnail.jpg`],
    ['name', 'twitter:card', 'summary_large_image'],
    ['name', 'twitter:title', channel.title],
    ['name', 'twitter:description', description],
    ['name', 'twitter:image', `${base}/api/channels/${name}/thumbnail.jpg`],
  ];
  return [
    `<title>${escapeHtml(channel.title)} · liveroom</title>`,
    ...tags.map(([attr, key, value]) => `<meta ${attr}="${key}" content="${escapeHtml(value)}" />`),
  ].join('\n    ');
}
