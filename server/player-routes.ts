import fs from 'node:fs';
import path from 'node:path';
import express, { Router, type Request, type Response } from 'express';
import { fail } from '../core/errors';
import type { Channel } from '../storage/channel-store';
import { pageMeta } from './page-meta';

/** Where `npm run build` puts the bundled player (the same whether this file runs from dist/ or from source). */
const ROOT = path.resolve(__dirname, __dirname.split(path.sep).includes('dist') ? '../..' : '..');
export const PLAYER_DIR = path.join(ROOT, 'dist', 'player');

/**
 * For the pages: scripts and styles from this origin only, so that even text
 * that slipped into the DOM as markup could not run or load anything
 * (the chat renders viewers' text with textContent; this is the second line).
 * blob: is what hls.js uses for MediaSource and its worker. frame-ancestors
 * is the operator's ('http.frameAncestors', default any site may embed), except
 * for /embed/<channel>, which exists to be framed anywhere.
 */
const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "media-src 'self' blob:",
  "worker-src 'self' blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
];

export interface PlayerRouteDeps {
  defaultChannel: string;
  channel(name: string): Promise<Channel | undefined>;
  /** Who may frame the pages ('http.frameAncestors'); /embed/<channel> may be framed by any site. */
  frameAncestors: string;
  /** 'http.publicUrl': the origin link previews name; the request's own when unset. */
  publicUrl?: string;
}

/** Where watch.html's server-rendered <title> and link-preview tags go. */
const META_SLOT = /<title>liveroom<\/title>/;
const BODY_TAG = '<body data-state="loading">';

/**
 * The watch page at /watch/<channel> and / (default channel), with its title and
 * link-preview tags rendered here; the embeddable player at /embed/<channel>
 * (the same page without its chrome, the chat panel only with `?chat=1`);
 * the replay page, the OBS chat overlay at /chat/<channel>, the admin
 * analytics page at /admin/analytics, and their assets under /player/.
 */
export function playerRoutes({ defaultChannel, channel, frameAncestors, publicUrl }: PlayerRouteDeps): Router {
  const router = Router();
  const cspFor = (ancestors: string) => [...PAGE_CSP, `frame-ancestors ${ancestors}`].join('; ');
  const csp = cspFor(frameAncestors);
  const embedCsp = cspFor('*');
  const cache = new Map<string, string>();
  const page = (file: string) => {
    let html = cache.get(file);
    if (html === undefined) {
      const htmlPath = path.join(PLAYER_DIR, file);
      if (!fs.existsSync(htmlPath)) throw fail('LR_PLAYER_NOT_BUILT');
      html = fs.readFileSync(htmlPath, 'utf8');
      cache.set(file, html);
    }
    return html;
  };
  const send = (res: Response, html: string, policy = csp) => res.set('Content-Security-Policy', policy).type('html').send(html);
  const unknown = (res: Response, name: string) => res.status(404).type('text').send(`No channel named '${name}'.`);
  const base = (req: Request) => publicUrl?.replace(/\/$/, '') ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`;
  const watchPage = (req: Request, ch: Channel, embed?: 'video' | 'chat') => {
    // A function, so that a '$&' in a title stays text (a replacement string would expand it).
    let html = page('watch.html').replace(META_SLOT, () => pageMeta(ch, base(req)));
    if (embed) html = html.replace(BODY_TAG, `<body data-state="loading" data-embed="${embed}">`);
    return html;
  };

  router.use('/player', express.static(PLAYER_DIR, { maxAge: '5m', index: false }));
  router.get('/', async (req, res) => {
    const ch = await channel(defaultChannel);
    const html = ch ? watchPage(req, ch) : page('watch.html');
    send(res, html.replace('name="liveroom-default-channel" content="live"', `name="liveroom-default-channel" content="${defaultChannel}"`));
  });
  router.get('/watch/:channel', async (req, res) => {
    const ch = await channel(req.params.channel);
    if (!ch) return void unknown(res, req.params.channel);
    send(res, watchPage(req, ch));
  });
  router.get('/embed/:channel', async (req, res) => {
    const ch = await channel(req.params.channel);
    if (!ch) return void unknown(res, req.params.channel);
    send(res, watchPage(req, ch, req.query.chat === '1' ? 'chat' : 'video'), embedCsp);
  });
  router.get('/watch/:channel/replays/:id', async (req, res) => {
    if (!(await channel(req.params.channel))) return void unknown(res, req.params.channel);
    send(res, page('replay.html'));
  });
  // The admin analytics page: the token is typed into the page and sent as a header by its script, so the page itself is public.
  router.get('/admin/analytics', (_req, res) => void send(res.set('Cache-Control', 'no-store'), page('analytics.html')));
  router.get('/chat/:channel', async (req, res) => {
    if (!(await channel(req.params.channel))) return void unknown(res, req.params.channel);
    send(res, page('chat-overlay.html'));
  });
  return router;
}
