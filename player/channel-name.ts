/**
 * Which channel this page shows: `/watch/<channel>` names it; on `/` the server
 * fills `<meta name="liveroom-default-channel" content="...">`.
 */
export function resolveChannelName(
  location: Pick<Location, 'pathname'>,
  doc: Pick<Document, 'querySelector'>,
): string {
  const match = /^\/watch\/([^/]+)\/?$/.exec(location.pathname);
  if (match) {
    try {
      return decodeURIComponent(match[1]);
    } catch {
      return match[1];
    }
  }
  const meta = doc.querySelector<HTMLMetaElement>('meta[name="liveroom-default-channel"]');
  return meta?.content.trim() || 'live';
}

export const channelApiUrl = (channel: string) => `/api/channels/${encodeURIComponent(channel)}`;
export const channelEventsUrl = (channel: string) => `${channelApiUrl(channel)}/events`;
export const masterPlaylistUrl = (channel: string) => `/hls/${encodeURIComponent(channel)}/master.m3u8`;
