import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { type ServerProcess, spawnAwsLocal, spawnNpmStart } from './process.ts';
import { ApiClient } from './server.ts';

/** One home, reachable through `api`, and how to stop it and remove what it left. */
export interface RunningHome {
  api: ApiClient;
  stop(): Promise<void>;
}

export interface Home {
  name: string;
  /** The AWS home (Lambda handlers, S3, DynamoDB, SQS, API Gateway), wherever it runs. */
  aws: boolean;
  /** False when this machine cannot run it (no moto_server, no deployed endpoint given). */
  available: boolean;
  /** Starts it with these settings and this admin key (a deployed stack has its own key). */
  start(env: Record<string, string>): Promise<RunningHome>;
}

async function stopProcess(server: ServerProcess): Promise<void> {
  if (server.child.exitCode === null) server.child.kill('SIGTERM');
  await server.exited;
}

const ALL_HOMES: Home[] = [
  {
    name: 'npm start',
    aws: false,
    available: true,
    async start(env) {
      const dataDir = mkdtempSync(join(tmpdir(), 'imgapi-home-'));
      const server = await spawnNpmStart({ DATA_DIR: dataDir, ...env });
      return {
        api: server.api,
        stop: async () => {
          await stopProcess(server);
          rmSync(dataDir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'npm run start:aws-local',
    aws: true,
    // The global setup found moto_server (and fails the run without it when REQUIRE_MOTO=1).
    available: inject('motoEndpoint') !== null,
    async start(env) {
      const server = await spawnAwsLocal(env);
      return { api: server.api, stop: () => stopProcess(server) };
    },
  },
  {
    // `npm run test:deployed`: a stack deployed with `sam deploy` (the pipeline's staging).
    name: 'deployed',
    aws: true,
    available: Boolean(process.env.DEPLOYED_API_URL && process.env.DEPLOYED_API_KEY),
    async start() {
      const api = new ApiClient(
        (process.env.DEPLOYED_API_URL ?? '').replace(/\/+$/, ''),
        process.env.DEPLOYED_API_KEY ?? null,
      );
      return { api, stop: async () => {} };
    },
  },
];

/**
 * The homes behind one API: suites that take this list run unchanged against each of
 * `npm start` (SQLite, files, our queue), `npm run start:aws-local` (the Lambda handlers on
 * moto's S3, DynamoDB, SQS and API Gateway keys, behind our API Gateway stand-in) and, with
 * IMGAPI_HOMES=deployed, a deployed stack. IMGAPI_HOMES picks by name (comma-separated).
 */
export const HOMES: Home[] = (() => {
  const chosen = process.env.IMGAPI_HOMES?.split(',').map((name) => name.trim());
  return ALL_HOMES.filter((home) => (chosen ? chosen.includes(home.name) : home.name !== 'deployed'));
})();
