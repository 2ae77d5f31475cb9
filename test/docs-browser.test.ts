import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserTestsEnabled, launchChromium } from './helpers/browser.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

/**
 * GET /docs in real headless Chromium: Swagger UI renders our document's operations, and
 * "Try it out" reaches the API, with no request to any other origin (no CDN, no validator):
 * the page works offline.
 */
describe.runIf(browserTestsEnabled())('GET /docs in headless Chromium', () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startTestServer();
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('renders every operation from this server alone, and Try it out calls the API', async () => {
    const page = await browser.newPage();
    const origin = new URL(server.url).origin;
    const foreign: string[] = [];
    const errors: string[] = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.origin !== origin && url.protocol !== 'data:') foreign.push(request.url());
    });
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(String(error)));

    await page.goto(`${server.url}/docs`);
    const operations = page.locator('.opblock-summary-path');
    await expect.poll(() => operations.count()).toBeGreaterThan(10);
    expect(await operations.allTextContents()).toEqual(
      expect.arrayContaining(['/images/upload', '/images/{imageId}/status', '/health']),
    );

    // Try it out on GET /health (no key needed): the answer comes back into the page.
    const health = page.locator('.opblock-get', { has: page.locator('[data-path="/health"]') });
    await health.locator('.opblock-summary').click();
    await health.getByRole('button', { name: 'Try it out' }).click();
    await health.getByRole('button', { name: 'Execute' }).click();
    await expect
      .poll(() => health.locator('.live-responses-table tbody .response-col_status').first().textContent())
      .toBe('200');

    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });
});
