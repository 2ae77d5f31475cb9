import sharp from 'sharp';
import { thumbHashToApproximateAspectRatio, thumbHashToAverageRGBA } from 'thumbhash';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  initialSteps,
  progressOf,
  requestedAnalyses,
  type Steps,
  stepsToRerun,
  visibleSteps,
} from '../src/core/image.ts';
import { animatedGif, fixture, orientedJpeg, scaledPhoto, solidPng } from './helpers/images.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

const rgbaToColour = (c: { r: number; g: number; b: number }) => ({
  r: Math.round(c.r * 255),
  g: Math.round(c.g * 255),
  b: Math.round(c.b * 255),
});

async function fetchImage(url: string) {
  return sharp(Buffer.from(await (await fetch(url)).arrayBuffer())).metadata();
}

describe('Processing', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ MAX_PIXELS: String(4_000_000), WORKERS: '2' });
  });
  afterAll(() => server.stop());

  it('fails with TOO_MANY_PIXELS before decoding an image over MAX_PIXELS, without retrying', async () => {
    const id = await server.api.upload(await scaledPhoto(2500, 2000, 50));
    const status = await server.api.waitFor(id);
    expect(status).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'TOO_MANY_PIXELS' } });
    expect(status.error.message).toContain('4000000');
    expect((await server.api.get(`/images/${id}`)).body.thumbnails).toEqual({
      small: null,
      medium: null,
      large: null,
    });
  });

  it('counts every frame of an animation against MAX_PIXELS', async () => {
    const id = await server.api.upload(await animatedGif(1000, 1000, 5), 'image/gif', 'anim.gif');
    expect(await server.api.waitFor(id)).toMatchObject({
      status: 'failed',
      error: { code: 'TOO_MANY_PIXELS' },
    });
  });

  it('thumbnails an animation from its first frame', async () => {
    const id = await server.api.upload(await animatedGif(300, 200, 3), 'image/gif', 'anim.gif');
    expect((await server.api.waitFor(id)).status).toBe('completed');
    const image = (await server.api.get(`/images/${id}`)).body;
    const thumb = await fetchImage(image.thumbnails.small);
    expect([thumb.width, thumb.height, thumb.pages ?? 1]).toEqual([150, 100, 1]);
  });

  it('fails with UNDECODABLE, no retry, for a truncated JPEG', async () => {
    const whole = fixture('rocket.jpg');
    const id = await server.api.upload(whole.subarray(0, Math.floor(whole.length / 3)));
    expect(await server.api.waitFor(id)).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: { code: 'UNDECODABLE' },
    });
  });

  it('fails with UNDECODABLE for garbage behind a valid magic number', async () => {
    const bytes = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(2000, 7)]);
    const id = await server.api.upload(bytes);
    expect(await server.api.waitFor(id)).toMatchObject({ status: 'failed', error: { code: 'UNDECODABLE' } });
  });

  it('never enlarges: a small image keeps its size in every thumbnail', async () => {
    const id = await server.api.upload(await solidPng(100, 60), 'image/png', 'tiny.png');
    await server.api.waitFor(id);
    const image = (await server.api.get(`/images/${id}`)).body;
    for (const size of ['small', 'medium', 'large']) {
      const meta = await fetchImage(image.thumbnails[size]);
      expect([meta.width, meta.height]).toEqual([100, 60]);
    }
  });

  it('describes the colour and shape of the image in its placeholder', async () => {
    const id = await server.api.upload(await solidPng(200, 100), 'image/png', 'red.png');
    await server.api.waitFor(id);
    const { placeholder } = (await server.api.get(`/images/${id}`)).body;
    // The PNG is rgb(200, 40, 40); stats' dominant colour is the centre of its histogram bin.
    expect(placeholder.dominantColor).toBe('#c82828');
    const hash = Buffer.from(placeholder.thumbhash, 'base64');
    expect(thumbHashToApproximateAspectRatio(hash)).toBeCloseTo(2, 0);
    const { r, g, b } = rgbaToColour(thumbHashToAverageRGBA(hash));
    expect([r, g, b]).toEqual([200, 40, 40].map((c) => expect.closeTo(c, -1)));
  });

  it('reports alpha and keeps it in the WebP', async () => {
    const id = await server.api.upload(await solidPng(64, 64, true), 'image/png', 'alpha.png');
    await server.api.waitFor(id);
    const image = (await server.api.get(`/images/${id}`)).body;
    expect(image.metadata.hasAlpha).toBe(true);
    expect((await fetchImage(image.webpUrl)).hasAlpha).toBe(true);
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8])(
    'turns EXIF orientation %i upright in thumbnails and WebP',
    async (orientation) => {
      const id = await server.api.upload(await orientedJpeg(orientation, 300, 200));
      await server.api.waitFor(id);
      const image = (await server.api.get(`/images/${id}`)).body;
      const rotated = orientation >= 5;
      const [w, h] = rotated ? [200, 300] : [300, 200];
      expect(image.metadata).toMatchObject({ orientation, width: w, height: h });
      const thumb = await fetchImage(image.thumbnails.small);
      expect([thumb.width, thumb.height]).toEqual(rotated ? [100, 150] : [150, 100]);
      expect(thumb.orientation ?? 1).toBe(1);
      const webp = await fetchImage(image.webpUrl);
      expect([webp.width, webp.height]).toEqual([w, h]);
    },
  );
});

describe('Steps of a failed image', () => {
  let server: TestServer;
  beforeAll(async () => {
    // Analyses are requested (pending) but never reached, so no model is ever loaded.
    server = await startTestServer({ ANALYSIS: 'all', MAX_PIXELS: String(4_000_000) });
  });
  afterAll(() => server.stop());

  const failedAtThumbnail = {
    status: 'failed',
    progress: 100,
    steps: {
      thumbnail: 'failed',
      webp: 'skipped',
      metadata: 'skipped',
      analysis: 'skipped',
      objects: 'skipped',
      faces: 'skipped',
      moderation: 'skipped',
      text: 'skipped',
    },
  };

  it('an undecodable upload: thumbnail failed, the rest skipped, progress 100', async () => {
    const bytes = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(2000, 7)]);
    const status = await server.api.waitFor(await server.api.upload(bytes));
    expect(status).toEqual(expect.objectContaining(failedAtThumbnail));
    expect(status.error.code).toBe('UNDECODABLE');
  });

  it('an image over MAX_PIXELS: thumbnail failed, the rest skipped, progress 100', async () => {
    const status = await server.api.waitFor(await server.api.upload(await scaledPhoto(2500, 2000, 50)));
    expect(status).toEqual(expect.objectContaining(failedAtThumbnail));
    expect(status.error.code).toBe('TOO_MANY_PIXELS');
  });
});

describe('Function: visibleSteps and progressOf', () => {
  const steps = (changes: Partial<Steps>): Steps => ({ ...initialSteps(['objects', 'text']), ...changes });

  it("shows a failed image's unreached steps as skipped, and its progress as 100", () => {
    const record = {
      status: 'failed' as const,
      steps: steps({
        thumbnail: 'completed',
        webp: 'completed',
        metadata: 'completed',
        analysis: 'failed',
        objects: 'processing',
      }),
    };
    expect(visibleSteps(record)).toEqual({
      thumbnail: 'completed',
      webp: 'completed',
      metadata: 'completed',
      analysis: 'failed',
      objects: 'skipped',
      faces: 'skipped',
      moderation: 'skipped',
      text: 'skipped',
    });
    expect(progressOf(record)).toBe(100);
    // Only the view: the record still says which analyses were requested, and a redrive
    // runs again what failed or was cut short.
    expect(requestedAnalyses(record.steps)).toEqual(['objects', 'text']);
    expect(stepsToRerun(record.steps)).toEqual(['analysis', 'objects']);
  });

  it('leaves the steps of an image that has not failed as stored', () => {
    const running = {
      status: 'processing' as const,
      steps: steps({ thumbnail: 'completed', webp: 'processing' }),
    };
    expect(visibleSteps(running)).toEqual(running.steps);
    // thumbnail, and faces and moderation (not requested), of 8 steps.
    expect(progressOf(running)).toBe(38);
    const done = steps({
      thumbnail: 'completed',
      webp: 'completed',
      metadata: 'completed',
      analysis: 'completed',
      objects: 'completed',
      text: 'failed',
    });
    expect(visibleSteps({ status: 'completed', steps: done })).toEqual(done);
    expect(progressOf({ status: 'completed', steps: done })).toBe(100);
    expect(progressOf({ status: 'uploaded', steps: steps({}) })).toBe(0);
  });
});
