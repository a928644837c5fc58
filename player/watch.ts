import { resolveChannelName } from './channel-name';
import { WatchPage, type LiveroomHandle } from './watch-page';

declare global {
  interface Window {
    /** For tests and benchmarks: the live hls.js instance, the video and the page state. */
    __liveroom?: LiveroomHandle;
  }
}

const page = new WatchPage(resolveChannelName(window.location, document));
window.__liveroom = page.handle;
page.start();

// Release the SSE connection and the player when the page goes into the
// back/forward cache, and pick up again if it comes back from there.
window.addEventListener('pagehide', () => page.stop());
window.addEventListener('pageshow', (ev) => {
  if (ev.persisted) page.start();
});
