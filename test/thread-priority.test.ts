import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { scaledPhoto } from './helpers/images.ts';
import { procStatFields } from './helpers/proc.ts';
import { type ServerProcess, spawnServer } from './helpers/process.ts';

/** The nice value of each thread of a process, by thread id (Linux /proc, field 19). */
function niceByThread(pid: number): Map<number, number> {
  const nice = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      nice.set(Number(tid), Number(procStatFields(`/proc/${pid}/task/${tid}/stat`)[16]));
    } catch {
      // The thread ended between listing and reading.
    }
  }
  return nice;
}

describe.runIf(process.platform === 'linux')('PROCESSING_NICE', () => {
  let server: ServerProcess | undefined;
  let dataDir: string;
  afterEach(async () => {
    server?.child.kill('SIGKILL');
    await server?.exited;
    rmSync(dataDir, { recursive: true, force: true });
  });

  // Each case starts a server of its own and processes three images: 60 s each, not 30.
  async function processOneImage(nice: string) {
    dataDir = mkdtempSync(join(tmpdir(), 'imgapi-nice-'));
    server = await spawnServer({ DATA_DIR: dataDir, WORKERS: '2', PROCESSING_NICE: nice });
    // Several images, so that both worker threads have run a job after a priority sweep.
    const photo = await scaledPhoto(640, 480);
    for (let i = 0; i < 3; i++) await server.api.waitFor(await server.api.upload(photo));
    return niceByThread(server.child.pid as number);
  }

  it('keeps the HTTP thread at normal priority and lowers the image threads', async () => {
    const nice = await processOneImage('7');
    expect(nice.get(server?.child.pid as number)).toBe(0);
    const lowered = [...nice.values()].filter((n) => n === 7).length;
    // At least the two worker threads and the libuv pool threads sharp runs in.
    expect(lowered).toBeGreaterThanOrEqual(4);
  }, 60_000);

  it('changes nothing when set to 0', async () => {
    const nice = await processOneImage('0');
    expect(new Set(nice.values())).toEqual(new Set([0]));
  }, 60_000);
});
