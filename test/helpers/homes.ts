import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { type ServerProcess, spawnAwsLocal, spawnNpmStart } from './process.ts';

/** One home started as a user starts it, and how to stop it and remove what it left. */
export interface RunningHome extends ServerProcess {
  stop(): Promise<void>;
}

export interface Home {
  name: string;
  /** False when this machine cannot run it (no moto_server); CI makes that a failure. */
  available: boolean;
  start(env: Record<string, string>): Promise<RunningHome>;
}

/**
 * Both homes behind one API: the suites that take this list run unchanged against `npm
 * start` (SQLite, files, our queue) and `npm run start:aws-local` (the Lambda handlers on
 * moto's S3, DynamoDB, SQS and API Gateway keys, behind our API Gateway stand-in).
 */
export const HOMES: Home[] = [
  {
    name: 'npm start',
    available: true,
    async start(env) {
      const dataDir = mkdtempSync(join(tmpdir(), 'imgapi-home-'));
      const server = await spawnNpmStart({ DATA_DIR: dataDir, ...env });
      return {
        ...server,
        stop: async () => {
          await stopProcess(server);
          rmSync(dataDir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'npm run start:aws-local',
    // The global setup found moto_server (and fails the run without it when REQUIRE_MOTO=1).
    available: inject('motoEndpoint') !== null,
    async start(env) {
      const server = await spawnAwsLocal(env);
      return { ...server, stop: () => stopProcess(server) };
    },
  },
];

async function stopProcess(server: ServerProcess): Promise<void> {
  if (server.child.exitCode === null) server.child.kill('SIGTERM');
  await server.exited;
}
