import http from 'node:http';
import https from 'node:https';
import { pipeline } from 'node:stream';
import { fail } from '../core/errors';
import type { Logger } from '../core/logger';
import type { OriginClaim } from '../cluster/origin-registry';
import { sendError } from './http-errors';

/** Set on a request one node makes of another: the node asked answers from what it has, never forwards again (no loops). */
export const PROXIED_HEADER = 'x-liveroom-proxied-by';

/** Request headers passed to the origin (conditional and range requests, the client's identity). */
const REQUEST_HEADERS = ['accept', 'if-none-match', 'if-modified-since', 'range', 'user-agent'];
/** Response headers passed back: what players and caching edges read. CORS and security headers are this node's own. */
const RESPONSE_HEADERS = ['content-type', 'content-length', 'cache-control', 'etag', 'last-modified', 'expires', 'retry-after', 'content-range', 'accept-ranges', 'age'];

export interface OriginProxyDeps<R extends http.IncomingMessage = http.IncomingMessage> {
  /** This node's id: a claim of its own is served locally. */
  self: string;
  /** The channel's origin when another node ingests it (from memory: never waits on Redis). */
  remoteOrigin(channel: string): OriginClaim | undefined;
  /** The channel (and broadcast, for a media URI) a request names; undefined: not one to proxy. */
  route(req: R): { channel: string; broadcast: string | undefined } | undefined;
  /** Whether this node answers the request itself: it has the channel live, or the broadcast the URI names. */
  servesLocally(channel: string, broadcast: string | undefined): boolean;
  mode: 'proxy' | 'redirect';
  /** 'cluster.proxyTimeoutMs': the origin sending nothing for this long ends the request with 504. */
  timeoutMs: number;
  log: Logger;
}

/**
 * HLS for channels ingested on another node. Mounted on a path whose first
 * segment is the channel (and the second, under /hls, the broadcast), before
 * the local routes: a request this node can answer goes on to them; one for a
 * channel whose origin is another node is proxied to that node's
 * 'cluster.nodeUrl' (query string included, so a blocking reload blocks at the
 * origin; status, body and Cache-Control passed through as they come) or, with
 * 'cluster.hlsMode' 'redirect', sent there with a 302. Plain node req/res (the
 * HLS handler's), which Express's are too (the thumbnail route).
 */
export function originProxy<R extends http.IncomingMessage>(deps: OriginProxyDeps<R>): (req: R, res: http.ServerResponse, next: () => void) => void {
  // Kept-alive connections to each origin: a part's request costs no TCP handshake between nodes.
  const agents = { http: new http.Agent({ keepAlive: true, maxSockets: 1024 }), https: new https.Agent({ keepAlive: true, maxSockets: 1024 }) };
  // A dead origin fails every viewer's request until its claim expires: logged once per node per 10 s, with the count.
  const failures = new Map<string, { loggedAt: number; since: number }>();
  const failed = (channel: string, node: string, reason: string) => {
    const now = Date.now();
    const f = failures.get(node);
    if (f && now - f.loggedAt < 10_000) return void f.since++;
    failures.set(node, { loggedAt: now, since: 0 });
    deps.log.warn({ channel, node, err: reason, ...(f && { moreFailures: f.since }) }, 'proxied HLS request to the origin node failed');
  };
  return (req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || req.headers[PROXIED_HEADER] !== undefined) return next();
    const r = deps.route(req);
    if (!r) return next();
    const { channel, broadcast } = r;
    if (deps.servesLocally(channel, broadcast)) return next();
    const origin = deps.remoteOrigin(channel);
    if (!origin || origin.node === deps.self) return next();
    // Express's req.url is relative to the mount; originalUrl (Express) or a plain request's url is the whole one.
    const pathAndQuery = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/';
    if (deps.mode === 'redirect') return redirect(req, res, join(origin.publicUrl, pathAndQuery));
    forward(req, res, origin, channel, join(origin.url, pathAndQuery), agents, deps, failed);
  };
}

/** A 302 as Express's res.redirect sends it: Location, and a short body in the type the client accepts (Vary: Accept). */
function redirect(req: http.IncomingMessage, res: http.ServerResponse, url: string) {
  const location = url.replace(ENCODE_CHARS, encodeURI);
  const accept = req.headers.accept;
  const html = accept !== undefined && /text\/html/.test(accept) && !/text\/plain/.test(accept);
  const text = accept === undefined || /\*\/\*|text\/\*|text\/plain/.test(accept);
  const body = html ? `<p>Found. Redirecting to ${escapeHtml(location)}</p>` : text ? `Found. Redirecting to ${location}` : '';
  res.statusCode = 302;
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Location', location);
  const vary = res.getHeader('Vary');
  res.setHeader('Vary', vary ? `${String(vary)}, Accept` : 'Accept');
  if (body) res.setHeader('Content-Type', `${html ? 'text/html' : 'text/plain'}; charset=utf-8`);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  if (req.method === 'HEAD') res.end();
  else res.end(body);
}

/** What encodeurl (Express's res.location) percent-encodes: characters a URL may not carry, and a % that starts no escape. */
const ENCODE_CHARS = /(?:[^\x21\x23-\x3B\x3D\x3F-\x5F\x61-\x7A\x7C\x7E]|%(?:[^0-9A-Fa-f]|[0-9A-Fa-f][^0-9A-Fa-f]|$))+/g;

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function join(base: string, pathAndQuery: string): string {
  return base.replace(/\/+$/, '') + pathAndQuery;
}

function forward(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  origin: OriginClaim,
  channel: string,
  target: string,
  agents: { http: http.Agent; https: https.Agent },
  deps: OriginProxyDeps,
  failed: (channel: string, node: string, reason: string) => void,
) {
  const url = new URL(target);
  const headers: http.OutgoingHttpHeaders = { [PROXIED_HEADER]: deps.self };
  for (const h of REQUEST_HEADERS) if (req.headers[h] !== undefined) headers[h] = req.headers[h];
  // The viewer's address, for the origin's per-address limits when this node is in its 'http.trustedProxies'.
  const peer = req.socket.remoteAddress ?? '';
  const prior = req.headers['x-forwarded-for'];
  headers['x-forwarded-for'] = prior ? `${Array.isArray(prior) ? prior.join(', ') : prior}, ${peer}` : peer;
  const secure = url.protocol === 'https:';
  const upstream = (secure ? https : http).request(url, { method: req.method, headers, agent: secure ? agents.https : agents.http });
  let answered = false;
  const failWith = (err: ReturnType<typeof fail>) => {
    if (answered || res.headersSent) return void res.destroy();
    answered = true;
    sendError(res, err);
  };
  upstream.setTimeout(deps.timeoutMs, () => {
    upstream.destroy();
    failWith(fail('LR_HLS_ORIGIN_TIMEOUT', { channel, node: origin.node, timeoutMs: deps.timeoutMs }));
  });
  upstream.on('error', (err: NodeJS.ErrnoException) => {
    if (answered) return;
    failed(channel, origin.node, err.code ?? err.message);
    failWith(fail('LR_HLS_ORIGIN_UNREACHABLE', { channel, node: origin.node, reason: err.code ?? err.message }));
  });
  upstream.on('response', (up) => {
    if (answered) return void up.resume();
    answered = true;
    res.statusCode = up.statusCode ?? 502;
    for (const h of RESPONSE_HEADERS) {
      const v = up.headers[h];
      if (v !== undefined) res.setHeader(h, v);
    }
    pipeline(up, res, () => {});
  });
  // The viewer went away (a player cancelling a blocking reload): the origin's held request is released too.
  res.once('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
  upstream.end();
}
