import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { type Browser, chromium, type Page } from 'playwright-core';

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
      // Containers often give /dev/shm 64 MB, which a renderer can outgrow and crash.
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * What axe-core (the accessibility engine browsers' audits use) finds wrong with the page as
 * it is now, WCAG 2.x A and AA rules: `rule: selector…` per violation. Injected through the
 * DevTools protocol, so the page's CSP, which forbids injected scripts, does not stop it.
 */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    const axe = (globalThis as any).axe;
    const result = await axe.run((globalThis as any).document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
      resultTypes: ['violations'],
    });
    return result.violations.map(
      (v: any) => `${v.id} (${v.impact}): ${v.nodes.map((n: any) => n.target.join(' ')).join(', ')}`,
    );
  });
}
