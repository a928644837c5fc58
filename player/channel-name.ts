/** The channel a page path names, `/<page>/<channel>` (URL-decoded), or undefined. */
export function channelFromPath(pathname: string, page: 'watch' | 'chat'): string | undefined {
  const match = new RegExp(`^/${page}/([^/]+)/?$`).exec(pathname);
  if (!match) return undefined;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return match[1];
  }
}

/**
 * Which channel this page shows: `/watch/<channel>` names it; on `/` the server
 * fills `<meta name="liveroom-default-channel" content="...">`.
 */
export function resolveChannelName(
  location: Pick<Location, 'pathname'>,
  doc: Pick<Document, 'querySelector'>,
): string {
  const named = channelFromPath(location.pathname, 'watch');
  if (named !== undefined) return named;
  const meta = doc.querySelector<HTMLMetaElement>('meta[name="liveroom-default-channel"]');
  return meta?.content.trim() || 'live';
}

export const channelApiUrl = (channel: string) => `/api/channels/${encodeURIComponent(channel)}`;
export const channelEventsUrl = (channel: string) => `${channelApiUrl(channel)}/events`;
export const masterPlaylistUrl = (channel: string) => `/hls/${encodeURIComponent(channel)}/master.m3u8`;
