import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { PaddleText } from '../src/adapters/local/analysis/paddle-text.ts';
import { SharpPipeline } from '../src/core/sharp-pipeline.ts';
import { machine, median, round } from './lib.ts';

/**
 * Text reading on one thread (as a pool worker runs it): ms per image on photos without text
 * (the fixtures enlarged to 2 MP, as bench/analysis.ts does, and as committed), on the sign
 * photo and on the printed page; what was read; RSS added by loading the models. Also every
 * line PP-OCR would return with no confidence threshold, on every input, to show where the
 * threshold sits. And how small a sign can be in a 12 MP photo and still be read: the sign's
 * panel cut from sign.jpg, placed at decreasing widths in a 4240×2832 frame, read through the
 * processing path (analysis pixels, then the text image). BENCH_TEXT_ROUNDS (default 3).
 *
 * The side-by-side run against Tesseract (tesseract.js 7, which this replaced) is recorded
 * in bench/results/text-vs-tesseract.json; it was made by this script as of the commit that
 * added PP-OCR, while tesseract-text.ts still existed.
 */
const ROUNDS = Number(process.env.BENCH_TEXT_ROUNDS ?? 3);
const FIXTURES = fileURLToPath(new URL('../test/fixtures/', import.meta.url));
const mb = (bytes: number) => Math.round(bytes / 2 ** 20);
sharp.cache(false);

const scratch = mkdtempSync(join(tmpdir(), 'bench-text-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));
const pipeline = new SharpPipeline(100e6);

async function inputFor(file: string, size?: [number, number]) {
  let path = join(FIXTURES, file);
  if (size) {
    const bytes = await sharp(path)
      .resize(size[0], size[1], { fit: 'fill' })
      .jpeg({ quality: 85 })
      .toBuffer();
    path = join(scratch, `${file}.${size[0]}.jpg`);
    writeFileSync(path, bytes);
  }
  const thumbs = await pipeline.thumbnails(path);
  return { pixels: thumbs.pixels, textImage: () => pipeline.textImage(path) };
}

const noText = ['astronaut.jpg', 'chelsea.jpg', 'coffee.jpg', 'rocket.jpg'];
const cases = {
  noText2MP: await Promise.all(noText.map((f) => inputFor(f, [1732, 1155]))),
  noTextOriginal: await Promise.all(noText.map((f) => inputFor(f))),
  sign: [await inputFor('sign.jpg')],
  page: [await inputFor('page.png')],
};

const rss0 = process.memoryUsage().rss;
const started = performance.now();
const paddle = await PaddleText.load();
const paddleLoadMs = Math.round(performance.now() - started);
const rssPaddle = process.memoryUsage().rss;

type Input = (typeof cases.sign)[number];
const engines = {
  ppocr: (input: Input) => paddle.recognize(input.pixels, input.textImage),
};

const results: Record<string, Record<string, unknown>> = {};
for (const [name, run] of Object.entries(engines)) {
  results[name] = {};
  for (const [label, inputs] of Object.entries(cases)) {
    for (const input of inputs) await run(input); // warm-up
    const times: number[] = [];
    let read: string[][] = [];
    for (let r = 0; r < ROUNDS; r++) {
      read = [];
      for (const input of inputs) {
        const t = performance.now();
        const lines = await run(input);
        times.push(performance.now() - t);
        read.push(lines.map((l) => `${l.text} (${l.confidence})`));
      }
    }
    (results[name] as Record<string, unknown>)[label] = {
      msPerImage: { median: round(median(times), 0), max: round(Math.max(...times), 0) },
      read,
    };
  }
}
const rssEnd = process.memoryUsage().rss;

// Every candidate line, with no confidence threshold (the Latin-share filter still applies).
const open = await PaddleText.load(0);
const candidates: Record<string, string[][]> = {};
for (const [label, inputs] of Object.entries(cases)) {
  candidates[label] = [];
  for (const input of inputs) {
    const lines = await open.recognize(input.pixels, input.textImage);
    candidates[label]?.push(lines.map((l) => `${l.text} (${l.confidence}) ${JSON.stringify(l.boundingBox)}`));
  }
}
// The sign panel (in sign.jpg at left 60, top 60) at decreasing widths in a 12 MP frame.
const panel = await sharp(join(FIXTURES, 'sign.jpg'))
  .extract({ left: 55, top: 55, width: 625, height: 280 })
  .toBuffer();
const smallSign: Record<string, string[]> = {};
for (const width of [800, 600, 400, 300, 250, 200]) {
  const path = join(scratch, `sign-in-12mp-${width}.jpg`);
  await sharp(join(FIXTURES, 'coffee.jpg'))
    .resize(4240, 2832, { fit: 'fill' })
    .composite([{ input: await sharp(panel).resize(width).toBuffer(), left: 1500, top: 900 }])
    .jpeg({ quality: 90 })
    .toFile(path);
  const thumbs = await pipeline.thumbnails(path);
  const lines = await paddle.recognize(thumbs.pixels, () => pipeline.textImage(path));
  smallSign[`panel ${width} px wide`] = lines.map((l) => `${l.text} (${l.confidence})`);
}
await Promise.all([paddle.close(), open.close()]);

console.log(
  JSON.stringify(
    {
      benchmark: 'text',
      machine: machine(),
      rounds: ROUNDS,
      models: { ppocr: paddle.modelName },
      images: {
        noText2MP: noText.map((f) => `${f} at 1732×1155`),
        noTextOriginal: noText,
        sign: 'sign.jpg 1600×1067',
        page: 'page.png 384×191',
      },
      loadMs: { ppocr: paddleLoadMs },
      rssMB: {
        before: mb(rss0),
        afterPpocrLoad: mb(rssPaddle),
        end: mb(rssEnd),
      },
      results,
      signIn12MpPhoto: smallSign,
      ppocrCandidatesWithoutThreshold: candidates,
    },
    null,
    2,
  ),
);
