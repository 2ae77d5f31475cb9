import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ALLOCATOR_ENV } from './lib.ts';

/**
 * `npm run bench`: runs every benchmark one after another (never in parallel: they would
 * measure each other) and writes each JSON result to bench/results/latest/NAME.json, which
 * git ignores. Set BENCH_ONLY=a,b to run some; see each script for its own BENCH_* knobs.
 *
 * `npm run bench:record` (this script with --record) runs nothing: it copies the latest
 * results (BENCH_ONLY=a,b: only those) over bench/results/NAME.json, the committed numbers
 * BENCHMARKS.md cites. Recording is a separate, deliberate step so a bench run never
 * modifies a tracked file.
 */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS = 'bench/results';
const LATEST = `${RESULTS}/latest`;
const ALL = [
  'startup',
  'scale',
  'api-throughput',
  'pipeline-vs-sharp',
  'default-pipeline-vs-sharp',
  'memory',
  'analysis',
  'lambda-bundles',
];
const only = process.env.BENCH_ONLY?.split(',') ?? ALL;
const names = ALL.filter((n) => only.includes(n));

if (process.argv.includes('--record')) {
  const recorded = names.filter((name) => existsSync(`${ROOT}${LATEST}/${name}.json`));
  if (recorded.length === 0) {
    console.error(
      `Nothing to record: no ${names.join(', ')} results in ${LATEST}/. Run \`npm run bench\` first.`,
    );
    process.exit(1);
  }
  for (const name of recorded) {
    copyFileSync(`${ROOT}${LATEST}/${name}.json`, `${ROOT}${RESULTS}/${name}.json`);
    console.error(`recorded ${LATEST}/${name}.json -> ${RESULTS}/${name}.json`);
  }
  console.error('Update the figures BENCHMARKS.md cites, then commit bench/results/.');
} else {
  mkdirSync(`${ROOT}${LATEST}`, { recursive: true });
  for (const name of names) {
    console.error(`\n== ${name}`);
    const output = execFileSync(process.execPath, ['--import', 'tsx', `bench/${name}.ts`], {
      cwd: ROOT,
      env: { ...process.env, ...ALLOCATOR_ENV },
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 64 * 1024 * 1024,
    }).toString();
    writeFileSync(`${ROOT}${LATEST}/${name}.json`, output);
    console.log(output);
  }
  console.error(
    `\nResults written to ${LATEST}/ (ignored by git): ${names.map((n) => `${n}.json`).join(', ')}.` +
      `\nTo record them as the committed numbers in ${RESULTS}/: ` +
      `${process.env.BENCH_ONLY ? `BENCH_ONLY=${process.env.BENCH_ONLY} ` : ''}npm run bench:record`,
  );
}
