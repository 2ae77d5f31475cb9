import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { fixture } from '../test/helpers/images.ts';
import { spawnServer } from '../test/helpers/process.ts';
import {
  ALLOCATOR_ENV,
  machine,
  mapLimit,
  median,
  ownCpuSeconds,
  percentile,
  processCpuSeconds,
  processRssMb,
  round,
} from './lib.ts';

/**
 * Pipeline vs bare sharp, same machine, same run, alternating rounds.
 *
 * Naive side: what a user writes with sharp, per image and from the file each time:
 * metadata, three thumbnails (150/480/1024 longest edge, fit inside, no enlargement,
 * JPEG q80 progressive) and a full-size WebP (q80, default effort), `cores` images at once.
 * Our side: the whole HTTP flow (upload URL → PUT → poll until completed), WORKERS = cores,
 * analysis as BENCH_ANALYSIS says (default `none`: the image work alone; `all` is what
 * `npm start` does by default, which bench/default-pipeline-vs-sharp.ts runs). Same encoder
 * settings on both sides. Per-image latency on both sides is from the start of the batch to
 * that image being done, so queueing counts on both.
 */
const ANALYSIS = process.env.BENCH_ANALYSIS ?? 'none';
const N = Number(process.env.BENCH_IMAGES ?? 16);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const cores = availableParallelism();
const work = mkdtempSync(join(tmpdir(), 'imgapi-bench-'));

const photos = ['astronaut.jpg', 'chelsea.jpg', 'coffee.jpg', 'rocket.jpg'] as const;
const inputs: string[] = [];
for (let i = 0; i < N; i++) {
  const file = join(work, `input-${i}.jpg`);
  const bytes = await sharp(fixture(photos[i % photos.length] as (typeof photos)[number]))
    .resize(4240, 2832, { fit: 'fill' })
    .jpeg({ quality: 90 })
    .toBuffer();
  writeFileSync(file, bytes);
  inputs.push(file);
}

interface Side {
  wallMs: number;
  perImageMs: number[];
  /** CPU seconds of everything on that side: this process, plus the server for ours. */
  cpuSeconds: number;
}

async function naive(): Promise<Side> {
  const out = join(work, `naive-${Date.now()}`);
  mkdirSync(out);
  const cpuBefore = ownCpuSeconds();
  const started = performance.now();
  const perImageMs = await mapLimit(inputs, cores, async (file) => {
    const name = file.split('/').pop();
    await sharp(file).metadata();
    for (const size of [150, 480, 1024]) {
      await sharp(file)
        .rotate()
        .resize(size, size, { fit: 'inside', withoutEnlargement: true })
        .jpeg({ quality: 80, progressive: true })
        .toFile(join(out, `${name}-${size}.jpg`));
    }
    await sharp(file)
      .rotate()
      .webp({ quality: 80 })
      .toFile(join(out, `${name}.webp`));
    return performance.now() - started;
  });
  const wallMs = performance.now() - started;
  const cpuSeconds = ownCpuSeconds() - cpuBefore;
  rmSync(out, { recursive: true });
  return { wallMs, perImageMs, cpuSeconds };
}

async function ours(): Promise<Side> {
  // The server is its own process, as with `npm start` (and with its malloc settings), so
  // nothing it sets (libvips concurrency is process-wide) leaks into the naive side.
  const dataDir = mkdtempSync(join(tmpdir(), 'imgapi-bench-data-'));
  const server = await spawnServer({
    DATA_DIR: dataDir,
    WORKERS: process.env.BENCH_OURS_WORKERS ?? String(cores),
    ANALYSIS,
    ...ALLOCATOR_ENV,
  });
  // A deployed server is warm: untimed images load sharp, our modules and (with analysis)
  // each worker's models, as the naive side has sharp loaded in this process already. Two
  // rounds of one image per worker, so every worker has served one whichever takes which.
  for (let w = 0; w < 2; w++) {
    const warm = await Promise.all(
      Array.from({ length: cores }, () => server.api.upload(readFileSync(inputs[0] as string))),
    );
    for (const id of warm) await server.api.waitFor(id, ['completed'], 120_000);
  }
  const originals = inputs.map((file) => readFileSync(file));
  const pid = server.child.pid as number;
  const cpuBefore = ownCpuSeconds() + processCpuSeconds(pid);
  const started = performance.now();
  const perImageMs = await Promise.all(
    originals.map(async (original) => {
      const id = await server.api.upload(original);
      // Long-polls (?wait=), as a client should: no polling traffic competing for the cores.
      const status = await server.api.waitFor(id, ['completed', 'failed'], 300_000);
      if (status.status !== 'completed') throw new Error(`image failed: ${JSON.stringify(status)}`);
      return performance.now() - started;
    }),
  );
  const wallMs = performance.now() - started;
  const cpuSeconds = ownCpuSeconds() + processCpuSeconds(pid) - cpuBefore;
  // The whole server (HTTP thread and every worker with its models) after the batch.
  serverRssMb.push(round(processRssMb(pid)));
  // Each job's own step timings, from its "job finished" log line (the timed batch's only).
  const finished = server
    .output()
    .split('\n')
    .filter((line) => line.includes('"stepMs"'))
    .slice(-originals.length)
    .map((line) => (JSON.parse(line) as { stepMs: Record<string, number> }).stepMs);
  for (const steps of finished)
    for (const [step, ms] of Object.entries(steps)) stepMs[step] = [...(stepMs[step] ?? []), ms];
  server.child.kill('SIGKILL');
  await server.exited;
  rmSync(dataDir, { recursive: true, force: true });
  return { wallMs, perImageMs, cpuSeconds };
}

/** Per step, the milliseconds each image spent in it (two workers sharing two cores). */
const stepMs: Record<string, number[]> = {};
const serverRssMb: number[] = [];

const rounds: Array<{
  naiveMs: number;
  oursMs: number;
  ratio: number;
  naiveCpuSeconds: number;
  oursCpuSeconds: number;
}> = [];
const naivePer: number[] = [];
const oursPer: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  // Alternate who goes first so warm caches and machine noise favour neither side.
  const [a, b] =
    r % 2 === 0
      ? [await naive(), await ours()]
      : await (async () => {
          const o = await ours();
          return [await naive(), o] as const;
        })();
  naivePer.push(...a.perImageMs);
  oursPer.push(...b.perImageMs);
  rounds.push({
    naiveMs: round(a.wallMs),
    oursMs: round(b.wallMs),
    ratio: round(a.wallMs / b.wallMs, 2),
    naiveCpuSeconds: round(a.cpuSeconds, 2),
    oursCpuSeconds: round(b.cpuSeconds, 2),
  });
  console.error(`round ${r + 1}: naive ${round(a.wallMs)} ms, ours ${round(b.wallMs)} ms`);
}
rmSync(work, { recursive: true, force: true });

const naiveWall = median(rounds.map((r) => r.naiveMs));
const oursWall = median(rounds.map((r) => r.oursMs));
const result = {
  benchmark: ANALYSIS === 'none' ? 'pipeline-vs-sharp' : 'default-pipeline-vs-sharp',
  analysis: ANALYSIS,
  machine: machine(),
  images: N,
  imageSize: '4240×2832 JPEG q90',
  rounds,
  median: {
    naiveWallMs: naiveWall,
    oursWallMs: oursWall,
    speedup: round(naiveWall / oursWall, 2),
    // Each round pairs two neighbouring runs, so slow drift of the machine cancels out.
    speedupOfPairedRounds: round(median(rounds.map((r) => r.ratio)), 2),
    naiveCpuSeconds: median(rounds.map((r) => r.naiveCpuSeconds)),
    oursCpuSeconds: median(rounds.map((r) => r.oursCpuSeconds)),
    naiveImagesPerSecond: round((N / naiveWall) * 1000, 2),
    oursImagesPerSecond: round((N / oursWall) * 1000, 2),
  },
  perImageMs: {
    naive: { p50: round(percentile(naivePer, 50)), p95: round(percentile(naivePer, 95)) },
    ours: { p50: round(percentile(oursPer, 50)), p95: round(percentile(oursPer, 95)) },
  },
  stepMsPerImage: Object.fromEntries(
    Object.entries(stepMs).map(([step, values]) => [
      step,
      { p50: round(percentile(values, 50)), p95: round(percentile(values, 95)) },
    ]),
  ),
  serverRssMbAfterBatch: { median: median(serverRssMb), max: Math.max(...serverRssMb) },
  seedClaimSecondsPerImage: '5–10',
};
console.log(JSON.stringify(result, null, 2));
