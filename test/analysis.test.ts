import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from './helpers/images.ts';
import { putBytes, startTestServer, type TestServer } from './helpers/server.ts';

/**
 * The real models on committed real photos (licences in test/fixtures/LICENSES.md), through
 * the whole HTTP flow. Assertions are what a person sees in each picture.
 */
describe('AI analysis with the local models', () => {
  let server: TestServer;
  const ids: Record<string, string> = {};
  const analysis: Record<string, any> = {};
  const steps: Record<string, any> = {};
  // The sign photo is checked for its text only: its panel is drawn, not photographed.
  let sign: any;
  let signId = '';

  beforeAll(async () => {
    server = await startTestServer({ ANALYSIS: 'all', WORKERS: '1' });
    const photos = [
      ['astronaut', 'astronaut.jpg', 'image/jpeg'],
      ['cat', 'chelsea.jpg', 'image/jpeg'],
      ['cup', 'coffee.jpg', 'image/jpeg'],
      ['page', 'page.png', 'image/png'],
      ['rocket', 'rocket.jpg', 'image/jpeg'],
    ] as const;
    for (const [name, file, type] of photos) {
      ids[name] = await server.api.upload(fixture(file), type, file);
    }
    for (const [name] of photos) {
      const status = await server.api.waitFor(ids[name] as string, ['completed', 'failed'], 120_000);
      steps[name] = status.steps;
      analysis[name] = (await server.api.get(`/images/${ids[name]}`)).body.analysis;
    }
    signId = await server.api.upload(fixture('sign.jpg'), 'image/jpeg', 'sign.jpg');
    await server.api.waitFor(signId, ['completed', 'failed'], 120_000);
    sign = (await server.api.get(`/images/${signId}`)).body.analysis;
  }, 180_000);
  afterAll(() => server?.stop());

  it('runs every analysis as its own completed step', () => {
    for (const name of Object.keys(ids)) {
      expect(steps[name]).toEqual({
        thumbnail: 'completed',
        webp: 'completed',
        metadata: 'completed',
        analysis: 'completed',
        objects: 'completed',
        faces: 'completed',
        moderation: 'completed',
        text: 'completed',
      });
      expect(analysis[name].errors).toEqual([]);
      expect(Object.keys(analysis[name].models).sort()).toEqual(['faces', 'moderation', 'objects', 'text']);
      expect(analysis[name].celebrities).toEqual([]);
    }
  });

  it('finds the astronaut: one smiling woman, a person', () => {
    const a = analysis.astronaut;
    expect(a.faces).toBe(1);
    const [face] = a.faceDetails;
    expect(face.confidence).toBeGreaterThan(90);
    expect(face.gender.value).toBe('Female');
    expect(face.gender.confidence).toBeGreaterThan(50);
    expect(face.emotions[0].type).toBe('HAPPY');
    expect(face.ageRange.high).toBeGreaterThan(face.ageRange.low);
    // Her face is in the upper middle of the portrait.
    const box = face.boundingBox;
    expect(box.left).toBeGreaterThan(0.2);
    expect(box.left + box.width).toBeLessThan(0.7);
    expect(box.top).toBeLessThan(0.3);
    expect(box.width).toBeGreaterThan(0.15);
    expect(a.objects.map((o: any) => o.name)).toContain('Person');
    expect(a.labels).toEqual(expect.arrayContaining(['Person', 'Face']));
  });

  it('sees a cat, and no face, in the cat photo', () => {
    const a = analysis.cat;
    expect(a.objects[0].name).toBe('Cat');
    expect(a.objects[0].boundingBox.width).toBeGreaterThan(0.5);
    expect(a.labels).toEqual(expect.arrayContaining(['Cat', 'Pet', 'Animal']));
    expect(a.labels).not.toContain('Dog');
    expect(a.faces).toBe(0);
    expect(a.confidence).toBe(a.labelDetails[0].confidence);
  });

  it('sees a cup in the coffee photo', () => {
    const a = analysis.cup;
    expect(a.objects[0].name).toBe('Cup');
    expect(a.labels).toEqual(expect.arrayContaining(['Cup', 'Tableware']));
    expect(a.faces).toBe(0);
  });

  it('reads the printed page, line by line, words in order', () => {
    const a = analysis.page;
    const text = a.text.map((line: any) => line.text).join('\n');
    // What Tesseract read too (it lost each line's first letters: "rst determine", "sly as").
    expect(text).toContain('markers of the coins');
    expect(text).toContain('as either object or background');
    // And what it missed: the heading and the start of each line.
    expect(text).toContain('Region-based segmentation');
    expect(text).toContain('Let us first determine markers of the coins and the');
    expect(text).toContain('pixels that we can label');
    expect(text).toContain('unambiguously as either object or background');
    // Word level: the page's words, in reading order, nearly all found. Spaces are where
    // PP-OCR is weakest on this tight scan ("arefoundat"), so words are matched in the text
    // with its spaces removed.
    const words =
      'Region-based segmentation Let us first determine markers of the coins and the background These markers are pixels that we can label unambiguously as either object or background Here the markers are found at the two extreme parts of the histogram of grey values'.split(
        ' ',
      );
    const squashed = text.replace(/\s+/g, '');
    let at = 0;
    let found = 0;
    for (const word of words) {
      const next = squashed.indexOf(word, at);
      if (next >= 0) {
        found++;
        at = next + word.length;
      }
    }
    expect(found / words.length).toBeGreaterThanOrEqual(0.95);
    expect(a.text.length).toBeGreaterThanOrEqual(6);
    for (const line of a.text) {
      expect(line.confidence).toBeGreaterThanOrEqual(80);
      expect(line.boundingBox.left + line.boundingBox.width).toBeLessThanOrEqual(1);
      expect(line.boundingBox.top + line.boundingBox.height).toBeLessThanOrEqual(1);
    }
    // Lines come top to bottom: the heading first.
    expect(a.text[0].text).toBe('Region-based segmentation');
    expect(a.labels).toContain('Text');
    expect(a.faces).toBe(0);
  });

  it('reads no text into photos without any', () => {
    for (const name of ['astronaut', 'cat', 'cup', 'rocket']) expect(analysis[name].text).toEqual([]);
  });

  it('reads both lines of a sign in a photo, with boxes on the sign', () => {
    // test/fixtures/sign.jpg (scripts/make-sign-fixture.ts): a panel rotated by 4°, drawn at
    // left 60, top 60, 615×271 px of 1600×1067, over the coffee photo.
    const panel = { left: 60 / 1600, top: 60 / 1067, right: 675 / 1600, bottom: 331 / 1067 };
    expect(sign.errors).toEqual([]);
    expect(sign.text.map((line: any) => line.text.toUpperCase())).toEqual(['FRESH BREAD', 'OPEN DAILY']);
    for (const line of sign.text) {
      expect(line.confidence).toBeGreaterThanOrEqual(90);
      const box = line.boundingBox;
      // Inside the panel (a little slack for the box's margin), and not a sliver.
      expect(box.left).toBeGreaterThanOrEqual(panel.left - 0.01);
      expect(box.top).toBeGreaterThanOrEqual(panel.top - 0.01);
      expect(box.left + box.width).toBeLessThanOrEqual(panel.right + 0.01);
      expect(box.top + box.height).toBeLessThanOrEqual(panel.bottom + 0.01);
      expect(box.width).toBeGreaterThan(0.15);
      expect(box.height).toBeGreaterThan(0.03);
    }
    // FRESH BREAD above OPEN DAILY.
    expect(sign.text[0].boundingBox.top).toBeLessThan(sign.text[1].boundingBox.top);
  });

  it('flags none of these photos for moderation, and calls none of them a drawing', () => {
    for (const name of Object.keys(ids)) {
      expect(analysis[name].moderationLabels).toEqual([]);
      expect(analysis[name].labels).not.toContain('Drawing');
    }
    expect(analysis.rocket.faces).toBe(0);
  });

  it('searches by label, object and text, within the tenant', async () => {
    const names = async (query: string) => {
      const res = await server.api.get(`/images?${query}`);
      expect(res.status).toBe(200);
      return res.body.images.map((i: any) => i.imageId);
    };
    expect(await names('label=cat')).toEqual([ids.cat]);
    expect(await names('label=ANIMAL')).toEqual([ids.cat]);
    // The sign is composited over the coffee photo: its cup is there too.
    expect((await names('object=Cup')).sort()).toEqual([ids.cup, signId].sort());
    expect(await names('text=bread')).toEqual([signId]);
    expect(await names('label=Person')).toEqual([ids.astronaut]);
    expect(await names('text=COINS')).toEqual([ids.page]);
    expect(await names('text=coins&label=Text&status=completed')).toEqual([ids.page]);
    expect(await names('label=Giraffe')).toEqual([]);
    expect(await names('text=50%25')).toEqual([]);

    const { body: key } = await server.api.request('POST', '/keys', { name: 'other tenant' });
    const other = server.api.withKey(key.apiKey);
    expect((await other.get('/images?label=cat')).body).toEqual({ images: [], count: 0 });
  });

  it('rejects a search term that is too short or too long, naming the field', async () => {
    const short = await server.api.get('/images?text=ab');
    expect(short.status).toBe(400);
    expect(short.body.error.message).toContain('text');
    const long = await server.api.get(`/images?label=${'x'.repeat(201)}`);
    expect(long.status).toBe(400);
    expect(long.body.error.message).toContain('label');
  });

  it('runs only the analyses an upload asks for', async () => {
    const created = await server.api.request('POST', '/images/upload', {
      fileName: 'page.png',
      fileType: 'image/png',
      analysis: ['text'],
    });
    expect(created.status).toBe(200);
    const { imageId } = created.body;
    await putBytes(created.body.uploadUrl, fixture('page.png'), 'image/png');
    const status = await server.api.waitFor(imageId, ['completed', 'failed'], 60_000);
    expect(status.steps).toMatchObject({
      analysis: 'completed',
      objects: 'skipped',
      faces: 'skipped',
      moderation: 'skipped',
      text: 'completed',
    });
    const { body } = await server.api.get(`/images/${imageId}`);
    expect(Object.keys(body.analysis.models)).toEqual(['text']);
    expect(body.analysis.text.length).toBeGreaterThan(0);
    expect(body.analysis.objects).toEqual([]);
  }, 90_000);

  it('skips analysis entirely for analysis: []', async () => {
    const created = await server.api.request('POST', '/images/upload', {
      fileName: 'cup.jpg',
      fileType: 'image/jpeg',
      analysis: [],
    });
    const { imageId } = created.body;
    await putBytes(created.body.uploadUrl, fixture('coffee.jpg'), 'image/jpeg');
    const status = await server.api.waitFor(imageId);
    expect(status.status).toBe('completed');
    expect(status.steps.analysis).toBe('skipped');
    expect((await server.api.get(`/images/${imageId}`)).body.analysis).toBeNull();
  });

  it('rejects an unknown analysis, naming the field', async () => {
    const res = await server.api.request('POST', '/images/upload', {
      fileName: 'a.jpg',
      fileType: 'image/jpeg',
      analysis: ['objects', 'celebrities'],
    });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe(
      'analysis.1: expected one of objects, faces, moderation, text but received "celebrities"',
    );
  });
});
