import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ServerProcess, spawnServer } from './process.ts';
import { ADMIN_KEY } from './server.ts';

export interface SpawnedServer {
  url: string;
  process: ServerProcess;
  /** SIGTERM, wait for the exit, remove the data directory. */
  stop(): Promise<void>;
}

/** The real server in its own process, with its own temporary DATA_DIR, no analysis, and ADMIN_KEY. */
export async function startSpawnedServer(
  env: Record<string, string> = {},
  options: { nodeArgs?: string[] } = {},
): Promise<SpawnedServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'imgapi-spawned-'));
  const server = await spawnServer(
    {
      DATA_DIR: dataDir,
      WORKERS: '1',
      RATE_LIMIT_RPS: '10000',
      RATE_LIMIT_BURST: '10000',
      ...env,
    },
    options,
  );
  return {
    url: server.api.baseUrl,
    process: server,
    async stop() {
      server.child.kill('SIGTERM');
      await server.exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export { ADMIN_KEY };
