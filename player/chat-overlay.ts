import { channelFromPath } from './channel-name';
import { OverlayPage, overlayOptions, type OverlayHandle } from './overlay-page';

declare global {
  interface Window {
    /** For tests: the overlay's connection state. */
    __liveroomOverlay?: OverlayHandle;
  }
}

// The OBS chat overlay's entry (/chat/<channel>); the page itself is OverlayPage.
const page = new OverlayPage(channelFromPath(window.location.pathname, 'chat') ?? 'live', overlayOptions(window.location.search));
window.__liveroomOverlay = page.handle;
page.start();

window.addEventListener('pagehide', () => page.stop());
window.addEventListener('pageshow', (ev) => {
  if (ev.persisted) page.start();
});
