import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { LocalAnalyzer } from '../src/adapters/local/analysis/local-analyzer.ts';
import { tf } from '../src/adapters/local/analysis/tfjs-runtime.ts';
import { ANALYSES, type AnalysisName } from '../src/core/analysis.ts';
import { SharpPipeline } from '../src/core/sharp-pipeline.ts';
import { machine, median, round } from './lib.ts';

/**
 * Analysis cost on one core, as one worker thread sees it: the four local analyses run here
 * on this thread exactly as the pool runs them (models loaded once, then image after image).
 * Photos are the test fixtures enlarged to 2 MP; the text case is the scanned test page.
 * Prints ms per image per analysis and the process RSS with every model loaded.
 * BENCH_ANALYSIS_ROUNDS (default 3) sets how many times each photo is analysed.
 */
const ROUNDS = Number(process.env.BENCH_ANALYSIS_ROUNDS ?? 3);
const FIXTURES = fileURLToPath(new URL('../test/fixtures/', import.meta.url));
const mb = (bytes: number) => Math.round(bytes / 2 ** 20);
sharp.cache(false);

// The 2 MP inputs go to a scratch folder in the OS temp dir, removed however the run ends.
const scratch = mkdtempSync(join(tmpdir(), 'bench-analysis-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));
const pipeline = new SharpPipeline(100e6);
const analyzer = new LocalAnalyzer();
const rssBefore = process.memoryUsage().rss;

const loadMs: Partial<Record<AnalysisName, number>> = {};
for (const name of ANALYSES) {
  const started = performance.now();
  await analyzer.model(name);
  loadMs[name] = Math.round(performance.now() - started);
}
const rssLoaded = process.memoryUsage().rss;

/** A fixture scaled to 2 MP (3:2) and written as JPEG, then prepared as processing does. */
async function inputFor(file: string) {
  const bytes = await sharp(join(FIXTURES, file))
    .resize(1732, 1155, { fit: 'fill' })
    .jpeg({ quality: 85 })
    .toBuffer();
  // One file per photo: libvips maps its input, and rewriting a file it is reading is a SIGBUS.
  const path = join(scratch, `${file}.2mp.jpg`);
  writeFileSync(path, bytes);
  const thumbs = await pipeline.thumbnails(path);
  return { pixels: thumbs.pixels, jpeg: thumbs.large, textImage: () => pipeline.textImage(path) };
}

const photos = ['astronaut.jpg', 'chelsea.jpg', 'coffee.jpg', 'rocket.jpg'];
const inputs = await Promise.all(photos.map(inputFor));
const times: Record<string, number[]> = { objects: [], faces: [], moderation: [], visionTotal: [] };
let peakRss = process.memoryUsage().rss;
// One untimed pass: the first inference of each model compiles its kernels.
for (const input of inputs)
  for (const name of ['objects', 'faces', 'moderation'] as const) await analyzer.analyze(name, input);
const tensorsAfterWarmup = tf.memory().numTensors;
for (let round_ = 0; round_ < ROUNDS; round_++) {
  for (const input of inputs) {
    let total = 0;
    for (const name of ['objects', 'faces', 'moderation'] as const) {
      const started = performance.now();
      await analyzer.analyze(name, input);
      const ms = performance.now() - started;
      times[name]?.push(ms);
      total += ms;
    }
    times.visionTotal?.push(total);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
}

const pagePath = join(FIXTURES, 'page.png');
// The detector looks at the analysis pixels, the recogniser at the OCR image: both as processing makes them.
const pageThumbs = await pipeline.thumbnails(pagePath);
const page = {
  pixels: pageThumbs.pixels,
  jpeg: pageThumbs.large,
  textImage: () => pipeline.textImage(pagePath),
};
await analyzer.analyze('text', page);
const ocr: number[] = [];
let lines = 0;
for (let i = 0; i < ROUNDS * 2; i++) {
  const started = performance.now();
  lines = (await analyzer.analyze('text', page)).length;
  ocr.push(performance.now() - started);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}
// OCR of a 2 MP photo (mostly no text): the cost when every upload gets text recognition.
const photoOcr: number[] = [];
for (const input of inputs) {
  const started = performance.now();
  await analyzer.analyze('text', input);
  photoOcr.push(performance.now() - started);
}
const rssEnd = process.memoryUsage().rss;
await analyzer.close();

const ms = (values: number[]) => ({ median: round(median(values), 0), max: round(Math.max(...values), 0) });
console.log(
  JSON.stringify(
    {
      benchmark: 'analysis',
      machine: machine(),
      backend: tf.getBackend(),
      rounds: ROUNDS,
      images: photos.map((p) => `${p} at 1732×1155 (2 MP)`),
      modelLoadMs: loadMs,
      msPerImage: {
        objects: ms(times.objects ?? []),
        faces: ms(times.faces ?? []),
        moderation: ms(times.moderation ?? []),
        objectsFacesModeration: ms(times.visionTotal ?? []),
        textPage: { ...ms(ocr), lines },
        textPhoto2MP: ms(photoOcr),
      },
      targets: { objectsFacesModerationMs: 400, textPageMs: 1500, workerRssMB: 600 },
      rssMB: {
        beforeModels: mb(rssBefore),
        allModelsLoaded: mb(rssLoaded),
        peak: mb(peakRss),
        end: mb(rssEnd),
      },
      tensors: { afterWarmup: tensorsAfterWarmup, end: tf.memory().numTensors },
    },
    null,
    2,
  ),
);
