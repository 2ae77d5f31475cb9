import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ALLOCATOR_ENV } from './lib.ts';

/**
 * `npm run bench`: runs every benchmark one after another (never in parallel: they would
 * measure each other) and writes each JSON result to bench/results/NAME.json. Set
 * BENCH_ONLY=a,b to run some; see each script for its own BENCH_* knobs.
 */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ALL = ['startup', 'scale', 'api-throughput', 'pipeline-vs-sharp', 'memory', 'analysis'];
const only = process.env.BENCH_ONLY?.split(',') ?? ALL;
mkdirSync(`${ROOT}bench/results`, { recursive: true });
for (const name of ALL.filter((n) => only.includes(n))) {
  console.error(`\n== ${name}`);
  const output = execFileSync(process.execPath, ['--import', 'tsx', `bench/${name}.ts`], {
    cwd: ROOT,
    env: { ...process.env, ...ALLOCATOR_ENV },
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
  }).toString();
  writeFileSync(`${ROOT}bench/results/${name}.json`, output);
  console.log(output);
}
