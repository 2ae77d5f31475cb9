import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';

/** A running moto_server: S3, DynamoDB, SQS and API Gateway's management API on one port. */
export interface MotoServer {
  endpoint: string;
  stop(): Promise<void>;
}

/** What to do when it is missing, said wherever its absence is reported. */
export const MOTO_INSTALL_HINT = "moto_server is not installed: install it with `pip install 'moto[server]'`";

export function motoInstalled(): boolean {
  try {
    execFileSync('moto_server', ['--help'], { stdio: 'ignore', timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts moto_server on a free port of `host` and waits until it answers. It keeps its state
 * in memory: everything is gone when it stops.
 */
export async function startMoto(host = '127.0.0.1'): Promise<MotoServer> {
  const port = await freePort(host);
  const child: ChildProcess = spawn('moto_server', ['-H', host, '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', (error) => reject(new Error(`${MOTO_INSTALL_HINT} (${error.message})`))),
  );
  const endpoint = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited (${child.exitCode}):\n${stderr}`);
    const answered = await Promise.race([
      fetch(`${endpoint}/moto-api/`).then(
        (res) => res.status < 500,
        () => false,
      ),
      spawnError,
    ]);
    if (answered) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`moto_server did not answer on ${endpoint} within 30 s:\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    endpoint,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
