import fs from 'node:fs';
import path from 'node:path';
import express, { Router } from 'express';
import { LiveroomError } from './errors';

/** Where `npm run build` puts the bundled player (the same whether this file runs from dist/ or from source). */
const ROOT = path.resolve(__dirname, __dirname.split(path.sep).includes('dist') ? '../..' : '..');
export const PLAYER_DIR = path.join(ROOT, 'dist', 'player');

/** The watch page at /watch/<channel> and / (default channel), and its assets under /player/. */
export function playerRoutes(defaultChannel: string, channelExists: (name: string) => boolean): Router {
  const router = Router();
  const htmlPath = path.join(PLAYER_DIR, 'watch.html');
  let html: string | undefined;
  const page = () => {
    if (html === undefined) {
      if (!fs.existsSync(htmlPath)) throw new LiveroomError('LR_PLAYER_NOT_BUILT', 'the player is not built: run `npm run build`', 500);
      html = fs.readFileSync(htmlPath, 'utf8');
    }
    return html;
  };
  router.use('/player', express.static(PLAYER_DIR, { maxAge: '5m', index: false }));
  router.get('/', (_req, res) => {
    res.type('html').send(page().replace('name="liveroom-default-channel" content="live"', `name="liveroom-default-channel" content="${defaultChannel}"`));
  });
  router.get('/watch/:channel', (req, res) => {
    if (!channelExists(req.params.channel)) {
      res.status(404).type('text').send(`No channel named '${req.params.channel}'.`);
      return;
    }
    res.type('html').send(page());
  });
  return router;
}
