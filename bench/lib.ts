import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import sharp from 'sharp';
import { procStatFields } from '../test/helpers/proc.ts';

/**
 * glibc malloc settings as `npm start` sets them (package.json), unless the environment
 * chooses its own: benches run the server the way users do.
 */
export const ALLOCATOR_ENV = {
  MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2',
  MALLOC_MMAP_THRESHOLD_: process.env.MALLOC_MMAP_THRESHOLD_ ?? '131072',
};

/** Machine facts every benchmark report starts with: results only compare within one run. */
export function machine() {
  return {
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    sharp: sharp.versions.sharp,
    libvips: sharp.versions.vips,
    mallocArenaMax: process.env.MALLOC_ARENA_MAX ?? 'default',
    mallocMmapThreshold: process.env.MALLOC_MMAP_THRESHOLD_ ?? 'default (dynamic)',
    // A preloaded allocator (jemalloc) makes the malloc settings moot.
    ldPreload: process.env.LD_PRELOAD ?? null,
  };
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
export function processCpuSeconds(pid: number): number {
  const fields = procStatFields(`/proc/${pid}/stat`);
  // utime and stime, in clock ticks (100 per second on Linux).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Resident memory of a process now, in MB, from /proc (Linux); threads share it. */
export function processRssMb(pid: number): number {
  const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb ?? 0) / 1024;
}

/** CPU seconds this process has used so far. */
export function ownCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

export const median = (values: number[]) => percentile(values, 50);
export const round = (n: number, digits = 1) => Number(n.toFixed(digits));

/** Runs `task` over `items` with at most `concurrency` in flight. */
export async function mapLimit<T, R>(
  items: T[],
  concurrency: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T);
    }
  });
  await Promise.all(lanes);
  return results;
}
