import type { HttpConfig } from '../core/config-schema';

/**
 * Which browser pages may open the chat (Socket.IO handshakes): the server's
 * own origin (the Origin's host is the request's Host), the origin of
 * 'http.publicUrl', and 'http.allowedOrigins' (["*"]: any). A handshake with
 * no Origin header is not from a page (a bot, the CLI, a test) and is let in:
 * the check stops other sites from using their visitors' browsers, not clients
 * that could send any header they like.
 */
export function originPolicy(http: Pick<HttpConfig, 'publicUrl' | 'allowedOrigins'>): (origin: string | undefined, host: string | undefined) => boolean {
  const allowed = new Set(http.allowedOrigins);
  if (http.publicUrl) allowed.add(new URL(http.publicUrl).origin);
  const any = allowed.has('*');
  return (origin, host) => {
    if (origin === undefined || any || allowed.has(origin)) return true;
    if (!host || !URL.canParse(origin)) return false; // "null" (sandboxed frames, file:) and garbage
    const page = new URL(origin);
    // The Host header read with the page's scheme, so "example.com:443" and "https://example.com" agree.
    const ours = `${page.protocol}//${host}`;
    return URL.canParse(ours) && new URL(ours).host === page.host;
  };
}
