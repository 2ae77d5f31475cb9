import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ADMIN_KEY, ApiClient } from './server.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ServerProcess {
  child: ChildProcess;
  api: ApiClient;
  output: () => string;
  exited: Promise<number | null>;
}

/** Spawns `src/server.ts` as its own process, as `npm start` would, and waits until it listens. */
export function spawnServer(
  env: Record<string, string>,
  options: { nodeArgs?: string[] } = {},
): Promise<ServerProcess> {
  return spawnListening(process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', 'src/server.ts'], {
    PORT: '0',
    API_KEY: ADMIN_KEY,
    LOG_LEVEL: 'info',
    ANALYSIS: 'none',
    ...env,
  });
}

/**
 * Runs `npm start` itself (compiling dist/ first if it is stale), with only what the caller
 * sets on top of the environment: no API key unless given.
 */
export function spawnNpmStart(env: Record<string, string>): Promise<ServerProcess> {
  return spawnListening(
    'npm',
    ['start'],
    { PORT: '0', LOG_LEVEL: 'info', ANALYSIS: 'none', ...env },
    120_000,
  );
}

/**
 * Runs `npm run start:aws-local` (its own moto_server, the Lambda handlers behind the API
 * Gateway stand-in), with only what the caller sets on top of the environment.
 */
export function spawnAwsLocal(env: Record<string, string>): Promise<ServerProcess> {
  return spawnListening(
    'npm',
    ['run', 'start:aws-local'],
    { PORT: '0', LOG_LEVEL: 'info', ANALYSIS: 'none', ...env },
    120_000,
  );
}

async function spawnListening(
  command: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs = 30_000,
): Promise<ServerProcess> {
  const { API_KEY: _inherited, ...inherited } = process.env;
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  // 'exit' can come before the last output has been read; 'close' (all stdio ended) comes
  // after it, unless a grandchild of npm still holds the pipes: then 2 s is enough.
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      const timer = setTimeout(() => resolve(code), 2000);
      child.once('close', () => {
        clearTimeout(timer);
        resolve(code);
      });
    }),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), timeoutMs);
    const check = () => {
      const match = /"url":"(http:\/\/[^"]+)"/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1] as string);
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(`server exited:\n${output}`));
    });
  });
  return { child, api: new ApiClient(url, env.API_KEY ?? null), output: () => output, exited };
}
