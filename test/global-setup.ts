import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { MOTO_INSTALL_HINT, type MotoServer, motoInstalled, startMoto } from './helpers/moto.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** moto_server's endpoint for the AWS adapter suites; null when it is not installed. */
    motoEndpoint: string | null;
  }
}

let moto: MotoServer | undefined;

/**
 * Once before any test file: compiles dist/ (the files that start `npm start` run in
 * parallel, and two starts finding dist/ stale would both compile into it at once), and
 * starts one moto_server that every AWS adapter suite shares, each with its own names.
 * REQUIRE_MOTO=1 (set by .ci/run) turns a missing moto_server into a failure, so CI never
 * skips the AWS runs.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  execFileSync('sh', ['scripts/build-if-stale.sh'], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    stdio: 'inherit',
  });
  if (motoInstalled()) {
    moto = await startMoto();
  } else if (process.env.REQUIRE_MOTO === '1') {
    throw new Error(`REQUIRE_MOTO=1 but ${MOTO_INSTALL_HINT}`);
  } else {
    console.warn(`\n!!! ${MOTO_INSTALL_HINT}\n`);
  }
  project.provide('motoEndpoint', moto?.endpoint ?? null);
  return async () => {
    await moto?.stop();
  };
}
