import { writeFileSync } from 'node:fs';
import { scaledPhoto } from '../test/helpers/images.ts';
import { startTestServer } from '../test/helpers/server.ts';

/**
 * Soak: `npx tsx bench/soak.ts [minutes] [out.json]`. Keeps a steady stream of 1 MP uploads
 * going (8 flows in flight) for the given minutes, deletes each image once done so storage
 * stays flat, and samples RSS of this process (server + worker threads) every 10 s. Prints
 * the samples and the growth between the first and last quarter.
 */
const minutes = Number(process.argv[2] ?? 10);
const out = process.argv[3];
const server = await startTestServer({ WORKERS: '2' });
const bytes = await scaledPhoto(1280, 800);
const end = Date.now() + minutes * 60_000;
const samples: Array<{ t: number; rssMb: number; processed: number }> = [];
let processed = 0;
let errors = 0;

async function flow() {
  while (Date.now() < end) {
    try {
      const id = await server.api.upload(bytes);
      await server.api.waitFor(id, ['completed', 'failed'], 60_000);
      await server.api.request('DELETE', `/images/${id}`);
      processed++;
    } catch {
      errors++;
    }
  }
}

const started = Date.now();
const timer = setInterval(() => {
  samples.push({
    t: Math.round((Date.now() - started) / 1000),
    rssMb: Math.round(process.memoryUsage().rss / 1048576),
    processed,
  });
  console.log(JSON.stringify(samples.at(-1)));
}, 10_000);
await Promise.all(Array.from({ length: 8 }, flow));
clearInterval(timer);
await server.stop();

const quarter = Math.max(1, Math.floor(samples.length / 4));
const mean = (xs: typeof samples) => xs.reduce((s, x) => s + x.rssMb, 0) / xs.length;
const summary = {
  minutes,
  processed,
  errors,
  rssFirstQuarterMb: Math.round(mean(samples.slice(0, quarter))),
  rssLastQuarterMb: Math.round(mean(samples.slice(-quarter))),
  rssMaxMb: Math.max(...samples.map((s) => s.rssMb)),
};
console.log(JSON.stringify(summary));
if (out) writeFileSync(out, `${JSON.stringify({ summary, samples }, null, 2)}\n`);
