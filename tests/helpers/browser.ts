import fs from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Flags for a quiet, offline, autoplay-friendly headless Chromium. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
  '--mute-audio',
];

/**
 * Launches the system Chromium (Debian's `chromium` package, or CHROMIUM_PATH).
 * Browser tests never skip: a missing browser is an error that says what to do.
 */
export async function launchBrowser(): Promise<Browser> {
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!fs.existsSync(executablePath)) {
    throw new Error(
      `Chromium not found at ${executablePath}. Install it (apt-get install chromium) ` +
        'or set CHROMIUM_PATH to a Chromium/Chrome executable.',
    );
  }
  try {
    return await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`Chromium at ${executablePath} failed to start: ${reason}`, { cause: err });
  }
}
