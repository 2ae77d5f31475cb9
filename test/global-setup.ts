import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Compiles dist/ once before any test file runs: the files that start `npm start` run in
 * parallel, and two starts finding dist/ stale would both compile into it at once.
 */
export default function setup(): void {
  execFileSync('sh', ['scripts/build-if-stale.sh'], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    stdio: 'inherit',
  });
}
