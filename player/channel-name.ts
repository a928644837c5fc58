/** The channel a page path names, `/<page>/<channel>` (URL-decoded), or undefined. */
export function channelFromPath(pathname: string, page: 'watch' | 'chat' | 'embed'): string | undefined {
  const match = new RegExp(`^/${page}/([^/]+)/?$`).exec(pathname);
  if (!match) return undefined;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return match[1];
  }
}

/**
 * Which channel this page shows: `/watch/<channel>` (or `/embed/<channel>`) names it; on `/` the server
 * fills `<meta name="liveroom-default-channel" content="...">`.
 */
export function resolveChannelName(
  location: Pick<Location, 'pathname'>,
  doc: Pick<Document, 'querySelector'>,
): string {
  const named = channelFromPath(location.pathname, 'watch') ?? channelFromPath(location.pathname, 'embed');
  if (named !== undefined) return named;
  const meta = doc.querySelector<HTMLMetaElement>('meta[name="liveroom-default-channel"]');
  return meta?.content.trim() || 'live';
}

export const channelApiUrl = (channel: string) => `/api/channels/${encodeURIComponent(channel)}`;
export const channelEventsUrl = (channel: string) => `${channelApiUrl(channel)}/events`;
export const masterPlaylistUrl = (channel: string) => `/hls/${encodeURIComponent(channel)}/master.m3u8`;
export const channelSharesUrl = (channel: string) => `${channelApiUrl(channel)}/shares`;
/** The pages a share hands out, on this page's own origin (the public one, behind a proxy too). */
export const watchPageUrl = (origin: string, channel: string) => `${origin}/watch/${encodeURIComponent(channel)}`;
export const embedPageUrl = (origin: string, channel: string) => `${origin}/embed/${encodeURIComponent(channel)}`;
