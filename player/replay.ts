import { ReplayPage, replayFromPath, type ReplayHandle } from './replay-page';

declare global {
  interface Window {
    /** For tests: the replay's hls.js instance, the video, the chat shown. */
    __liveroomReplay?: ReplayHandle;
  }
}

const named = replayFromPath(window.location.pathname);
if (named) {
  const page = new ReplayPage(named[0], named[1]);
  window.__liveroomReplay = page.handle;
  page.start();
  window.addEventListener('pagehide', () => page.stop());
  window.addEventListener('pageshow', (ev) => {
    if (ev.persisted) page.start();
  });
}
