import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessibilityViolations, browserTestsEnabled, launchChromium } from './helpers/browser.ts';
import { fixture } from './helpers/images.ts';
import { ADMIN_KEY, startTestServer, type TestServer } from './helpers/server.ts';

// The functions given to page.evaluate run in the page, with its globals; this file is
// type-checked for Node, so these name them (as any) for the checker only.
declare const window: any;
declare const document: any;
declare const localStorage: any;
declare const MutationObserver: any;
declare const getComputedStyle: any;
declare const DataTransfer: any;

const fixturePath = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const PROCESSING_MS = 120_000;

/**
 * The web gallery at / in real headless Chromium against the real server, with the real
 * face and text models: what a person does with it, by keyboard and mouse, and that the page
 * never talks to anything but this server, nor trips its own CSP.
 */
describe.runIf(browserTestsEnabled())('web gallery in headless Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const foreignRequests: string[] = [];
  const consoleErrors: string[] = [];
  const failedResponses: string[] = [];

  const tile = (fileName: string) => page.locator('.tile', { hasText: fileName });

  beforeAll(async () => {
    server = await startTestServer({ ANALYSIS: 'faces,text' });
    browser = await launchChromium();
    context = await browser.newContext();
    page = await context.newPage();
    const origin = new URL(server.url).origin;
    context.on('request', (request) => {
      const url = new URL(request.url());
      if (url.origin !== origin && url.protocol !== 'data:' && url.protocol !== 'blob:')
        foreignRequests.push(request.url());
    });
    context.on('response', (response) => {
      if (response.status() >= 400)
        failedResponses.push(
          `${response.status()} ${response.request().method()} ${new URL(response.url()).pathname}`,
        );
    });
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(String(error)));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('asks for a key, refuses a wrong one, and connects with the right one', async () => {
    await page.goto(`${server.url}/`);
    await expect.poll(() => page.locator('#key-panel').isVisible()).toBe(true);
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.fill('#key-input', 'not-a-key');
    await page.click('#key-form button[type=submit]');
    await expect.poll(() => page.locator('#key-error').textContent()).toMatch(/refused.*INVALID_API_KEY/);
    await page.fill('#key-input', ADMIN_KEY);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('#gallery').isVisible()).toBe(true);
    await expect.poll(() => page.locator('#summary').textContent()).toMatch(/No images yet/);
    expect(await page.evaluate(() => localStorage.getItem('imgapi.apiKey'))).toBe(ADMIN_KEY);
  });

  it(
    'uploads photos from the file picker and shows them live, accessibly in light and dark',
    async () => {
      // Every status text each tile shows, as it changes.
      await page.evaluate(() => {
        const seen: string[] = [];
        (window as any).seenStatuses = seen;
        new MutationObserver(() => {
          for (const line of document.querySelectorAll('.tile-status')) {
            const text = line.textContent ?? '';
            if (seen[seen.length - 1] !== text) seen.push(text);
          }
        }).observe(document.getElementById('grid'), {
          subtree: true,
          childList: true,
          characterData: true,
        });
      });
      // Uploads at 64 KB/s (DevTools throttling), so that progress has values between 0 and 100.
      const devtools = await context.newCDPSession(page);
      await devtools.send('Network.enable');
      const throttle = (uploadThroughput: number) =>
        devtools.send('Network.emulateNetworkConditions', {
          offline: false,
          latency: 0,
          downloadThroughput: -1,
          uploadThroughput,
        });
      await throttle(64 * 1024);
      await page.setInputFiles('#file-input', [fixturePath('astronaut.jpg'), fixturePath('sign.jpg')]);
      await expect.poll(() => page.locator('.tile').count()).toBe(2);
      // ~240 KB at 64 KB/s is ~4 s at best; far more when the machine is busy.
      await expect
        .poll(() => page.locator('.tile[data-status="uploading"]').count(), { timeout: PROCESSING_MS })
        .toBe(0);
      await throttle(-1);
      await devtools.detach();
      await expect
        .poll(() => page.locator('.tile[data-status="completed"]').count(), { timeout: PROCESSING_MS })
        .toBe(2);
      const seen: string[] = await page.evaluate(() => (window as any).seenStatuses);
      const percents = seen.flatMap((text) => /^Uploading (\d+)%$/.exec(text)?.[1] ?? []).map(Number);
      expect(
        percents.some((percent) => percent > 0 && percent < 100),
        seen.join(' | '),
      ).toBe(true);
      expect(seen).toContain('Completed');
      expect(await page.locator('#summary').textContent()).toBe('2 images');
      expect(await page.locator('#more').isVisible()).toBe(false);
      expect(await accessibilityViolations(page)).toEqual([]);
      await page.emulateMedia({ colorScheme: 'dark' });
      expect(await accessibilityViolations(page)).toEqual([]);
      await page.emulateMedia({ colorScheme: 'light' });
    },
    PROCESSING_MS,
  );

  it('shows each thumbnail over its ThumbHash, with alt text saying what is in it', async () => {
    for (const name of ['astronaut.jpg', 'sign.jpg']) {
      const frame = tile(name).locator('.tile-frame');
      // The record (placeholder, analysis) is asked for once the status says completed.
      await expect.poll(() => frame.getAttribute('data-placeholder')).toBe('thumbhash');
      expect(await frame.evaluate((el) => getComputedStyle(el).backgroundImage)).toMatch(
        /^url\("data:image\/png/,
      );
      const img = tile(name).locator('img');
      await expect.poll(() => img.evaluate((el: any) => el.complete && el.naturalWidth)).toBeGreaterThan(0);
      expect(await img.getAttribute('src')).toMatch(new RegExp(`^${server.url}/files/`));
    }
    await expect
      .poll(() => tile('astronaut.jpg').locator('img').getAttribute('alt'))
      .toMatch(/astronaut\.jpg: .*one face/);
    await expect.poll(() => tile('sign.jpg').locator('img').getAttribute('alt')).toMatch(/FRESH BREAD/);
  });

  it(
    'uploads a file dropped on the page',
    async () => {
      const bytes = fixture('coffee.jpg').toString('base64');
      const transfer = await page.evaluateHandle((base64) => {
        const data = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
        const dropped = new DataTransfer();
        dropped.items.add(new File([data], 'coffee.jpg', { type: 'image/jpeg' }));
        return dropped;
      }, bytes);
      await page.dispatchEvent('body', 'dragover', { dataTransfer: transfer });
      expect(await page.evaluate(() => document.body.classList.contains('dragging'))).toBe(true);
      await page.dispatchEvent('body', 'drop', { dataTransfer: transfer });
      await expect
        .poll(() => tile('coffee.jpg').getAttribute('data-status'), { timeout: PROCESSING_MS })
        .toBe('completed');
      expect(await page.evaluate(() => document.body.classList.contains('dragging'))).toBe(false);
    },
    PROCESSING_MS,
  );

  it('filters by recognised text, and clears the filter', async () => {
    await page.selectOption('#filter-kind', 'text');
    await page.fill('#filter-value', 'bread');
    await page.click('#filters button[type=submit]');
    await expect.poll(() => page.locator('.tile .tile-name').allTextContents()).toEqual(['sign.jpg']);
    await page.click('#filters button[type=reset]');
    await expect.poll(() => page.locator('.tile').count()).toBe(3);
  });

  it('opens an image from the keyboard: metadata, EXIF and a box over the face', async () => {
    await tile('astronaut.jpg').locator('button.tile-open').focus();
    await page.keyboard.press('Enter');
    const dialog = page.locator('dialog#detail');
    await expect.poll(() => dialog.isVisible()).toBe(true);
    expect(await dialog.locator('h2').textContent()).toBe('astronaut.jpg');
    const faces = dialog.locator('.box-face');
    expect(await faces.count()).toBe(1);
    expect(await faces.getAttribute('aria-label')).toMatch(/^Face, \d+% \(female/);
    expect(await dialog.locator('.box-text').count()).toBe(0);
    // The box lies on the picture, in its upper half, where her face is.
    // Measured once the picture has loaded, both in one go: before it loads the picture has
    // no size yet, and it may arrive between two separate measurements.
    const stagePicture = dialog.locator('.stage-frame img');
    await expect
      .poll(() => stagePicture.evaluate((img: any) => img.complete && img.naturalWidth > 0))
      .toBe(true);
    const { picture, face } = await dialog.evaluate((element: any) => {
      const rect = (selector: string) => {
        const { x, y, width, height } = element.querySelector(selector).getBoundingClientRect();
        return { x, y, width, height };
      };
      return { picture: rect('.stage-frame img'), face: rect('.box-face') };
    });
    expect(face.x).toBeGreaterThanOrEqual(picture.x);
    expect(face.x + face.width).toBeLessThanOrEqual(picture.x + picture.width + 1);
    expect(face.y + face.height / 2).toBeLessThan(picture.y + picture.height / 2);
    expect(face.width).toBeGreaterThan(picture.width * 0.1);
    expect(await accessibilityViolations(page)).toEqual([]);
    const facts = (await dialog.locator('.detail-facts').textContent()) ?? '';
    expect(facts).toMatch(/Dimensions\s*\d+ × \d+ px/);
    expect(facts).toContain('EXIF');
    // The face layer can be hidden and shown again.
    await dialog.locator('.switch-face input').uncheck();
    expect(await faces.isVisible()).toBe(false);
    await dialog.locator('.switch-face input').check();
    expect(await faces.isVisible()).toBe(true);
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.isVisible()).toBe(false);
    // Focus is back on the tile that opened it.
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toMatch(
      /^astronaut\.jpg/,
    );
  });

  it('shows text boxes on the sign', async () => {
    await tile('sign.jpg').locator('button.tile-open').click();
    const dialog = page.locator('dialog#detail');
    await expect.poll(() => dialog.locator('.box-text').count()).toBe(2);
    expect(await dialog.locator('.box-text .box-label').allTextContents()).toEqual([
      'FRESH BREAD',
      'OPEN DAILY',
    ]);
    await dialog.locator('button.close').click();
    await expect.poll(() => dialog.isVisible()).toBe(false);
  });

  it('deletes an image from its detail view', async () => {
    const imageId = (await tile('astronaut.jpg').getAttribute('data-image-id')) as string;
    await tile('astronaut.jpg').locator('button.tile-open').click();
    const dialog = page.locator('dialog#detail');
    await expect.poll(() => dialog.isVisible()).toBe(true);
    page.once('dialog', (confirm) => void confirm.accept());
    await dialog.getByRole('button', { name: 'Delete image' }).click();
    await expect.poll(() => dialog.isVisible()).toBe(false);
    await expect.poll(() => tile('astronaut.jpg').count()).toBe(0);
    // Focus moves to a neighbouring tile, not lost to the page.
    await expect
      .poll(() =>
        page.evaluate(
          () => document.activeElement?.closest('.tile')?.querySelector('.tile-name')?.textContent,
        ),
      )
      .toMatch(/^(sign|coffee)\.jpg$/);
    expect((await server.api.get(`/images/${imageId}`)).status).toBe(404);
    await expect.poll(() => page.locator('#announcer').textContent()).toContain('astronaut.jpg deleted');
  });

  it('remembers the key across a reload, and forgets it when asked', async () => {
    await page.reload();
    await expect.poll(() => page.locator('.tile').count()).toBe(2);
    await page.click('#forget-key');
    await expect.poll(() => page.locator('#key-panel').isVisible()).toBe(true);
    expect(await page.evaluate(() => localStorage.getItem('imgapi.apiKey'))).toBeNull();
  });

  it('will not search text shorter than the API takes, and keeps the grid as it was', async () => {
    await page.fill('#key-input', ADMIN_KEY);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('.tile').count()).toBe(2);
    await page.selectOption('#filter-kind', 'text');
    await page.fill('#filter-value', 'ab');
    await page.click('#filters button[type=submit]');
    expect(await page.locator('#filter-value').evaluate((el: any) => el.validity.tooShort)).toBe(true);
    expect(await page.locator('.tile').count()).toBe(2);
    await page.click('#filters button[type=reset]');
  });

  it('ends the session when its key is revoked, whatever it was doing', async () => {
    const created = await server.api.request('POST', '/keys', { name: 'gallery-visitor' });
    await page.click('#forget-key');
    await page.fill('#key-input', created.body.apiKey);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('#gallery').isVisible()).toBe(true);
    expect((await server.api.request('DELETE', `/keys/${created.body.keyId}`)).status).toBe(200);
    await page.click('#filters button[type=submit]');
    await expect.poll(() => page.locator('#key-panel').isVisible()).toBe(true);
    expect(await page.locator('#key-error').textContent()).toMatch(/refused the key/);
    expect(await page.evaluate(() => localStorage.getItem('imgapi.apiKey'))).toBeNull();
  });

  it('made no request to any other origin, and logged no error (CSP violations included)', () => {
    expect(foreignRequests).toEqual([]);
    // The only refusal is the wrong key of the first test, which the browser logs as a failed load.
    expect(failedResponses).toEqual(['403 GET /images', '403 GET /images']);
    expect(consoleErrors.filter((text) => !/status of 403/.test(text))).toEqual([]);
  });
});
