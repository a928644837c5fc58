/// <reference lib="dom" />
/**
 * The live room end to end: the real server (chat included), a real ffmpeg
 * RTMP publisher, and several viewers in headless Chromium (one browser
 * context each, so each has its own localStorage identity).
 * Needs the bundle: `node scripts/build-player.mjs` (npm test builds first).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { io as ioClient } from 'socket.io-client';
import { newIdentity, request } from '../chat/chat-test-kit';
import { launchBrowser } from './helpers/browser';
import { publish, startLiveroom, STREAM_KEY, until, type Harness, type Publisher } from './helpers/liveroom-harness';

jest.setTimeout(90_000);

const DIST = path.resolve(__dirname, '..', 'dist', 'player');

const XSS_MESSAGES = [
  '<img src=x onerror="window.__xss=1">',
  '<script>window.__xss=1</script>',
  '"><svg onload=window.__xss=1>',
  'javascript:window.__xss=1',
  `<a href="javascript:window.__xss=1">click</a>`,
  'W'.repeat(280),
];
const XSS_NAME = '"><svg onload=window.__xss=1>';

describe('live room in Chromium: chat, danmaku, likes, viewers, moderation, overlay', () => {
  let h: Harness;
  let pub: Publisher;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];
  let alice: Page;
  let bob: Page;

  const newPage = async (viewport = { width: 1280, height: 720 }, extra: Parameters<Browser['newContext']>[0] = {}) => {
    const context = await browser.newContext({ viewport, ...extra });
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    // The pages are served with a strict Content-Security-Policy: nothing of ours may trip it.
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) pageErrors.push(m.text());
    });
    return page;
  };

  /** Opens the watch page and picks a name in the first-visit picker. */
  const joinAs = async (page: Page, name: string, hash = '', screenshot?: string) => {
    await page.goto(`${h.base}/watch/live${hash}`);
    await page.locator('#name-picker').waitFor({ state: 'visible' });
    if (screenshot) await page.screenshot({ path: screenshot });
    expect(await page.locator('#composer').isVisible()).toBe(false);
    await page.fill('#name-input', name);
    await page.click('#name-picker button[type=submit]');
    await page.locator('#composer').waitFor({ state: 'visible' });
    await page.waitForFunction(() => (window as any).__liveroom.chat.state === 'connected');
    await page.waitForFunction((n) => document.getElementById('name-button')!.textContent === n, name);
  };

  const say = async (page: Page, text: string) => {
    await page.fill('#composer-input', text);
    await page.press('#composer-input', 'Enter');
  };

  /** The chat line whose text is exactly `text`. */
  const line = (page: Page, text: string) => page.locator('#chat-list .chat-line', { has: page.locator('.chat-text', { hasText: text }) }).last();

  const chatTexts = (page: Page) => page.locator('#chat-list .chat-text').allTextContents();

  beforeAll(async () => {
    if (!fs.existsSync(path.join(DIST, 'chat-overlay.js'))) {
      throw new Error('dist/player is missing or old: run `node scripts/build-player.mjs` (or `npm run build`) first.');
    }
    h = await startLiveroom({ chat: { messageBurst: 30, messagesPerSecond: 10, viewerCountMs: 300, likeBroadcastMs: 100 } });
    pub = publish(`${h.rtmp}/${STREAM_KEY}`);
    browser = await launchBrowser();
    alice = await newPage();
    bob = await newPage();
    await Promise.all([joinAs(alice, 'Alice', '', '/tmp/live-room-name-picker.png'), joinAs(bob, 'Bob')]);
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await pub?.stop();
    await h?.stop();
  });

  afterEach(() => {
    expect(pageErrors).toEqual([]);
  });

  it('carries a message typed in one page to the other, and counts both viewers', async () => {
    await say(alice, 'hello from Alice');
    await line(bob, 'hello from Alice').waitFor();
    expect(await line(bob, 'hello from Alice').locator('.chat-author').textContent()).toBe('Alice');
    // The sender sees it too (from the ack), marked as their own.
    await line(alice, 'hello from Alice').waitFor();
    expect(await line(alice, 'hello from Alice').getAttribute('data-self')).toBe('true');
    expect(await alice.inputValue('#composer-input')).toBe('');

    for (const page of [alice, bob]) {
      await page.waitForFunction(() => Number(document.getElementById('viewer-count-value')!.textContent) >= 2);
    }
    // Two viewers, each with chat and a video stream: counted once each.
    expect(await bob.textContent('#viewer-count-value')).toBe('2');
    expect(await bob.locator('#viewer-count').isVisible()).toBe(true);

    // A newcomer gets the history; a name picked once is remembered by the browser.
    await bob.reload();
    await bob.waitForFunction(() => (window as any).__liveroom.chat.state === 'connected');
    expect(await bob.locator('#name-picker').isVisible()).toBe(false);
    expect(await bob.textContent('#name-button')).toBe('Bob');
    await line(bob, 'hello from Alice').waitFor();
  });

  it('flies a bullet comment over the video in the other page; the overlay can be turned off and stays off', async () => {
    await bob.waitForFunction(() => document.body.dataset.state === 'playing', null, { timeout: 40_000 });
    await alice.click('#composer-kind');
    await alice.click('#danmaku-colors [data-color="#fe0302"]');
    await say(alice, 'danmaku from Alice');

    const item = bob.locator('#danmaku-layer .danmaku-item', { hasText: 'danmaku from Alice' });
    await item.waitFor();
    expect(await item.evaluate((el) => getComputedStyle(el).color)).toBe('rgb(254, 3, 2)');
    const frame = (await bob.locator('#video-frame').boundingBox())!;
    const b1 = (await item.boundingBox())!;
    await bob.waitForTimeout(400);
    const b2 = (await item.boundingBox())!;
    expect(b2.x).toBeLessThan(b1.x); // moving right to left
    expect(b1.y).toBeGreaterThanOrEqual(frame.y);
    expect(b1.y + b1.height).toBeLessThanOrEqual(frame.y + frame.height);
    // It is in the chat list too, marked as a bullet comment.
    expect(await line(bob, 'danmaku from Alice').getAttribute('data-kind')).toBe('danmaku');
    // The sender sees their own, outlined.
    await alice.locator('#danmaku-layer .danmaku-self', { hasText: 'danmaku from Alice' }).waitFor();

    // Several at once take different lanes. Sent together from another viewer's client: the page's composer waits for
    // each ack before the next send, and on a slow machine three sends through it came too far apart to be "at once".
    const other = ioClient(h.base, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { channel: 'live', identity: newIdentity(), name: 'Carol' } });
    try {
      await new Promise<void>((resolve, reject) => {
        other.once('welcome', () => resolve());
        other.once('connect_error', reject);
      });
      const acks = await Promise.all([1, 2, 3].map((n) => request(other, 'send', { text: `lane ${n}`, kind: 'danmaku' })));
      expect(acks.map((a) => a.ok)).toEqual([true, true, true]);
    } finally {
      other.disconnect();
    }
    const lanes = bob.locator('#danmaku-layer .danmaku-item', { hasText: /^lane \d$/ });
    await until(async () => (await lanes.count()) === 3, 15_000, 'three bullet comments');
    const ys = await lanes.evaluateAll((els) => els.map((el) => Math.round(el.getBoundingClientRect().top)));
    expect(new Set(ys).size).toBe(3);
    await bob.waitForTimeout(1200); // let them spread out for the picture
    await bob.screenshot({ path: '/tmp/live-room-wide.png' });
    await alice.screenshot({ path: '/tmp/live-room-composer.png' });

    // Off: nothing flies, and the choice survives a reload.
    await bob.click('#danmaku-toggle');
    expect(await bob.getAttribute('#danmaku-toggle', 'aria-pressed')).toBe('false');
    expect(await bob.locator('#danmaku-layer').isVisible()).toBe(false);
    await say(alice, 'nobody sees this fly');
    await line(bob, 'nobody sees this fly').waitFor();
    expect(await bob.locator('#danmaku-layer .danmaku-item').count()).toBe(0);
    await bob.reload();
    await bob.waitForFunction(() => (window as any).__liveroom.chat.state === 'connected');
    expect(await bob.getAttribute('#danmaku-toggle', 'aria-pressed')).toBe('false');
    await bob.click('#danmaku-toggle');
    expect(await bob.getAttribute('#danmaku-toggle', 'aria-pressed')).toBe('true');
    await alice.click('#composer-kind'); // back to chat messages
  });

  it('counts likes tapped in one page in the other, with a bounded number of floating hearts', async () => {
    const before = Number(await bob.textContent('#like-count'));
    for (let i = 0; i < 5; i++) await alice.click('#like-button');
    expect(Number(await alice.textContent('#like-count'))).toBe(before + 5); // counted locally at once
    const hearts = await alice.locator('#heart-layer .heart').count();
    expect(hearts).toBeGreaterThan(0);
    expect(hearts).toBeLessThanOrEqual(24);
    await bob.waitForFunction((n) => Number(document.getElementById('like-count')!.textContent) === n, before + 5);
    // A burst of taps is still bounded on screen.
    await alice.evaluate(() => {
      for (let i = 0; i < 40; i++) document.getElementById('like-button')!.click();
    });
    expect(await alice.locator('#heart-layer .heart').count()).toBeLessThanOrEqual(24);
  });

  it('renders hostile names and messages as text: nothing runs, the text is literal, the layout holds', async () => {
    // A name longer than 32 characters is refused in the picker.
    await alice.click('#name-button');
    await alice.fill('#name-input', '<img src=x onerror="window.__xss=1">');
    await alice.click('#name-picker button[type=submit]');
    await alice.waitForFunction(() => /at most 32/.test(document.getElementById('name-error')!.textContent ?? ''));
    await alice.fill('#name-input', XSS_NAME);
    await alice.click('#name-picker button[type=submit]');
    await alice.waitForFunction((n) => document.getElementById('name-button')!.textContent === n, XSS_NAME);

    for (const text of XSS_MESSAGES) await say(alice, text);
    await alice.click('#composer-kind');
    await say(alice, '<img src=x onerror=window.__xss=1>');
    await alice.click('#composer-kind');
    await bob.waitForFunction((n) => document.querySelectorAll('#chat-list .chat-line').length >= n, XSS_MESSAGES.length + 1);
    // The danmaku is sent after the long message; wait for both (the line count above includes earlier lines).
    await until(async () => {
      const shown = await chatTexts(bob);
      return shown.includes(XSS_MESSAGES[XSS_MESSAGES.length - 1]) && shown.includes('<img src=x onerror=window.__xss=1>');
    }, 15_000, 'the long message and the danmaku');

    const texts = await chatTexts(bob);
    for (const text of XSS_MESSAGES) expect(texts).toContain(text);
    expect(texts).toContain('<img src=x onerror=window.__xss=1>');
    const authors = await bob.locator('#chat-list .chat-author').allTextContents();
    expect(authors).toContain(XSS_NAME);
    await bob.locator('#danmaku-layer .danmaku-item', { hasText: '<img src=x onerror=window.__xss=1>' }).waitFor();

    for (const page of [alice, bob]) {
      expect(await page.evaluate(() => (window as any).__xss)).toBeUndefined();
      expect(await page.locator('#chat img, #chat script, #chat a, #chat-list svg, #danmaku-layer *:not(.danmaku-item)').count()).toBe(0);
    }
    // Every bubble stays inside the panel, and nothing scrolls sideways.
    const layout = await bob.evaluate(() => {
      const panel = document.getElementById('chat')!.getBoundingClientRect();
      const list = document.getElementById('chat-list')!;
      const outside = Array.from(list.querySelectorAll('.chat-line')).filter((el) => {
        const r = el.getBoundingClientRect();
        return r.left < panel.left - 0.5 || r.right > panel.right + 0.5;
      }).length;
      return { outside, listOverflow: list.scrollWidth - list.clientWidth, pageOverflow: document.documentElement.scrollWidth - window.innerWidth };
    });
    expect(layout).toEqual({ outside: 0, listOverflow: 0, pageOverflow: 0 });
    expect((await bob.locator('#chat').boundingBox())!.width).toBeGreaterThanOrEqual(340);
  });

  it('shows only the chat, with new messages, in the OBS overlay at /chat/live', async () => {
    const overlay = await newPage({ width: 720, height: 480 });
    await overlay.goto(`${h.base}/chat/live?fade=60&size=30`);
    await overlay.waitForFunction(() => (window as any).__liveroomOverlay?.state === 'connected');
    expect(await overlay.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgba(0, 0, 0, 0)');
    expect(await overlay.locator('input, textarea, form').count()).toBe(0);
    await say(bob, 'hi OBS 👋');
    await overlay.locator('.chat-line', { hasText: 'hi OBS 👋' }).waitFor();
    expect(await overlay.locator('.chat-line').last().locator('.chat-author').textContent()).toBe('Bob');
    expect(await overlay.evaluate(() => parseFloat(getComputedStyle(document.querySelector('.chat-line')!).fontSize))).toBe(30);
    expect(await overlay.evaluate(() => (window as any).__xss)).toBeUndefined();
    await overlay.screenshot({ path: '/tmp/chat-overlay.png', omitBackground: true });
    // Overlays read only; they are not viewers.
    expect(h.room.chat!.viewerCount('live')).toBe(2);
  });

  it('lets a moderator delete a message (gone for everyone), time out and ban a viewer, set slow mode and blocked words; badges for moderator and streamer', async () => {
    const { token } = await h.room.moderatorTokens!.create('live', 'test');
    const { token: streamerToken } = await h.room.moderatorTokens!.create('live', 'Sam', 'streamer');
    const [mod, host] = [await newPage(), await newPage()];
    await Promise.all([joinAs(mod, 'Mia', `#token=${encodeURIComponent(token)}`), joinAs(host, 'Sam', `#token=${encodeURIComponent(streamerToken)}`)]);
    expect(mod.url()).not.toContain('token'); // taken out of the address bar
    expect(await mod.evaluate(() => (window as any).__liveroom.chat.you.role)).toBe('moderator');
    // The streamer proves the role with a streamer token (never the admin token); a reload keeps it (sessionStorage).
    await host.reload();
    await host.waitForFunction(() => (window as any).__liveroom.chat.you?.role === 'streamer');
    await say(host, 'welcome everyone');
    expect(await line(alice, 'welcome everyone').locator('.chat-badge').textContent()).toBe('HOST');
    expect(await mod.locator('#mod-toggle').isVisible()).toBe(true);
    await say(mod, 'mod here');
    await line(bob, 'mod here').waitFor();
    expect(await line(bob, 'mod here').locator('.chat-badge').textContent()).toBe('MOD');
    expect(await bob.locator('.chat-line-menu').count()).toBe(0); // viewers get no moderation menu

    // Delete: gone from every page.
    await say(bob, 'please delete me');
    await line(mod, 'please delete me').hover();
    await line(mod, 'please delete me').locator('.chat-line-menu').click();
    await mod.click('#mod-menu [data-action="delete"]');
    for (const page of [bob, alice, mod]) {
      await until(async () => !(await chatTexts(page)).includes('please delete me'), 5000, 'the deleted message to disappear');
    }

    // Timeout: the viewer sees the notice and cannot send.
    await say(bob, 'rude words');
    await line(mod, 'rude words').hover();
    await line(mod, 'rude words').locator('.chat-line-menu').click();
    await mod.selectOption('#mod-timeout-seconds', '60');
    await mod.screenshot({ path: '/tmp/live-room-mod-menu.png' });
    await mod.click('#mod-menu [data-action="timeout"]');
    await bob.locator('#chat-list .chat-notice', { hasText: 'Bob was timed out for 1 min.' }).waitFor();
    await say(bob, 'can I still talk?');
    await bob.waitForFunction(() => /timed out/.test(document.getElementById('composer-error')!.textContent ?? ''));
    expect(await bob.isDisabled('#composer-send')).toBe(true);
    await alice.waitForTimeout(300);
    expect(await chatTexts(alice)).not.toContain('can I still talk?');

    // Room controls: a blocked word is refused for everyone.
    await mod.click('#mod-toggle');
    await mod.fill('#block-word-input', 'spoiler');
    await mod.click('#block-word-form button[type=submit]');
    await mod.locator('#blocked-words .word', { hasText: 'spoiler' }).waitFor();
    await say(alice, 'huge spoiler ahead');
    await alice.waitForFunction(() => /does not allow/.test(document.getElementById('composer-error')!.textContent ?? ''));
    // Slow mode: announced to the room, shown in the chat header.
    await mod.selectOption('#slow-mode-select', '10');
    await alice.locator('#chat-slow', { hasText: 'Slow mode · 10 s' }).waitFor();
    await alice.locator('#chat-list .chat-notice', { hasText: 'Slow mode is on' }).waitFor();
    await mod.screenshot({ path: '/tmp/live-room-moderator.png' });
    await mod.selectOption('#slow-mode-select', '0');
    await alice.locator('#chat-slow').waitFor({ state: 'hidden' });

    // Ban (the second click confirms): the viewer is out and stays out.
    await line(mod, 'rude words').hover();
    await line(mod, 'rude words').locator('.chat-line-menu').click();
    await mod.click('#mod-menu [data-action="ban"]');
    expect(await mod.textContent('#mod-menu [data-action="ban"]')).toBe('Click again to ban Bob');
    await mod.click('#mod-menu [data-action="ban"]');
    await alice.locator('#chat-list .chat-notice', { hasText: 'Bob was banned.' }).waitFor();
    await bob.waitForFunction(() => (window as any).__liveroom.chat.state === 'refused', null, { timeout: 15_000 });
    expect(await bob.textContent('#chat-status')).toBe('You are banned from this chat.');
    expect(await bob.isDisabled('#composer-input')).toBe(true);
  });

  it('stacks the chat under the video on a phone', async () => {
    const phone = await newPage({ width: 390, height: 844 }, { isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    await joinAs(phone, 'Pat');
    await say(alice, 'hello phone');
    await line(phone, 'hello phone').waitFor();
    const [frame, chat] = [await phone.locator('#video-frame').boundingBox(), await phone.locator('#chat').boundingBox()];
    expect(chat!.y).toBeGreaterThanOrEqual(frame!.y + frame!.height);
    expect(frame!.width).toBe(390);
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(await phone.locator('#like-button').isVisible()).toBe(true);
    expect(await phone.locator('#danmaku-toggle').isVisible()).toBe(true);
    await phone.waitForFunction(() => document.body.dataset.state === 'playing', null, { timeout: 30_000 });
    await phone.screenshot({ path: '/tmp/live-room-phone.png' });
  });
});
