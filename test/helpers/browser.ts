import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Debian's Chromium (`apt-get install -y chromium`); playwright-core never downloads one. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_INSTALL_HINT = `Chromium is not installed at ${CHROMIUM}: the browser tests need it (apt-get update && apt-get install -y chromium)`;

export const chromiumInstalled = () => existsSync(CHROMIUM);

/**
 * Whether the browser suites run: with Chromium installed; without it they are skipped with
 * a message, except under REQUIRE_BROWSER=1 (set by .ci/run), where that is a failure.
 */
export function browserTestsEnabled(): boolean {
  if (chromiumInstalled()) return true;
  if (process.env.REQUIRE_BROWSER === '1') throw new Error(`REQUIRE_BROWSER=1 but ${CHROMIUM_INSTALL_HINT}`);
  console.warn(`\n!!! ${CHROMIUM_INSTALL_HINT}; skipping the browser tests\n`);
  return false;
}

/**
 * Headless Chromium with a fresh profile (playwright makes a temporary one). The flags stop its own background traffic
 * (updates, sync, safe browsing), which this machine's closed network refuses noisily,
 * so that every request a test sees is one the page made.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}
