import fs from 'node:fs';
import path from 'node:path';
import express, { Router, type Response } from 'express';
import { fail } from '../core/errors';

/** Where `npm run build` puts the bundled player (the same whether this file runs from dist/ or from source). */
const ROOT = path.resolve(__dirname, __dirname.split(path.sep).includes('dist') ? '../..' : '..');
export const PLAYER_DIR = path.join(ROOT, 'dist', 'player');

/**
 * For the pages: scripts and styles from this origin only, so that even text
 * that slipped into the DOM as markup could not run or load anything
 * (the chat renders viewers' text with textContent; this is the second line).
 * blob: is what hls.js uses for MediaSource and its worker. frame-ancestors
 * is the operator's ('http.frameAncestors', default any site may embed).
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

/**
 * The watch page at /watch/<channel> and / (default channel), the OBS chat
 * overlay at /chat/<channel>, the admin analytics page at /admin/analytics,
 * and their assets under /player/.
 */
export function playerRoutes(defaultChannel: string, channelExists: (name: string) => boolean, frameAncestors = '*'): Router {
  const router = Router();
  const csp = [...PAGE_CSP, `frame-ancestors ${frameAncestors}`].join('; ');
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
  const send = (res: Response, html: string) => res.set('Content-Security-Policy', csp).type('html').send(html);
  const unknown = (res: Response, channel: string) => res.status(404).type('text').send(`No channel named '${channel}'.`);

  router.use('/player', express.static(PLAYER_DIR, { maxAge: '5m', index: false }));
  router.get('/', (_req, res) => {
    send(res, page('watch.html').replace('name="liveroom-default-channel" content="live"', `name="liveroom-default-channel" content="${defaultChannel}"`));
  });
  router.get('/watch/:channel', (req, res) => {
    if (!channelExists(req.params.channel)) return void unknown(res, req.params.channel);
    send(res, page('watch.html'));
  });
  router.get('/watch/:channel/replays/:id', (req, res) => {
    if (!channelExists(req.params.channel)) return void unknown(res, req.params.channel);
    send(res, page('replay.html'));
  });
  // The admin analytics page: the token is typed into the page and sent as a header by its script, so the page itself is public.
  router.get('/admin/analytics', (_req, res) => void send(res.set('Cache-Control', 'no-store'), page('analytics.html')));
  router.get('/chat/:channel', (req, res) => {
    if (!channelExists(req.params.channel)) return void unknown(res, req.params.channel);
    send(res, page('chat-overlay.html'));
  });
  return router;
}
