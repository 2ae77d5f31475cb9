import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scaledPhoto } from '../test/helpers/images.ts';
import { spawnServer } from '../test/helpers/process.ts';
import { machine, processRssMb, round } from './lib.ts';

/**
 * Memory: RSS of the server process (HTTP + worker threads) while it processes IMAGES
 * 12 MP JPEGs, a few in flight at a time, each deleted once done so disk stays flat.
 * Sampled from /proc every second. Goal: ≤ 600 MB and no growth after warm-up.
 * Set MALLOC_ARENA_MAX / MALLOC_MMAP_THRESHOLD_ (or LD_PRELOAD) to compare allocators;
 * `npm run bench` passes what `npm start` sets.
 */
const IMAGES = Number(process.env.BENCH_MEMORY_IMAGES ?? 1000);
const dataDir = mkdtempSync(join(tmpdir(), 'imgapi-memory-'));

const server = await spawnServer({ DATA_DIR: dataDir, RATE_LIMIT_RPS: '100000', RATE_LIMIT_BURST: '100000' });
const child = server.child;
const rssMb = () => processRssMb(child.pid as number);

const { api } = server;
const photo = await scaledPhoto(4240, 2832, 90);
const samples: Array<{ t: number; done: number; rssMb: number }> = [];
const started = Date.now();
let done = 0;
const sampler = setInterval(
  () => samples.push({ t: Math.round((Date.now() - started) / 1000), done, rssMb: round(rssMb()) }),
  1000,
);

let next = 0;
await Promise.all(
  Array.from({ length: 4 }, async () => {
    while (next < IMAGES) {
      next++;
      const id = await api.upload(photo);
      const status = await api.waitFor(id, ['completed', 'failed'], 120_000);
      if (status.status !== 'completed') throw new Error(JSON.stringify(status));
      await api.request('DELETE', `/images/${id}`);
      done++;
    }
  }),
);
clearInterval(sampler);
child.kill('SIGKILL');
rmSync(dataDir, { recursive: true, force: true });

// Warm-up: the first 10% of images. "Flat" compares the mean of the second and last deciles.
const afterWarmup = samples.filter((s) => s.done >= IMAGES * 0.1);
const decile = Math.max(1, Math.floor(afterWarmup.length / 10));
const mean = (xs: typeof samples) => xs.reduce((sum, s) => sum + s.rssMb, 0) / Math.max(1, xs.length);
const early = mean(afterWarmup.slice(0, decile));
const late = mean(afterWarmup.slice(-decile));
console.log(
  JSON.stringify(
    {
      benchmark: 'memory',
      machine: machine(),
      images: IMAGES,
      imageSize: '4240×2832 JPEG q90',
      seconds: Math.round((Date.now() - started) / 1000),
      rssMaxMb: round(Math.max(...samples.map((s) => s.rssMb))),
      rssAfterWarmupFirstDecileMb: round(early),
      rssLastDecileMb: round(late),
      growthAfterWarmupPercent: round(((late - early) / early) * 100),
      goalMb: 600,
      samplesEvery10s: samples.filter((s) => s.t % 10 === 0).map((s) => [s.t, s.done, s.rssMb]),
    },
    null,
    2,
  ),
);
