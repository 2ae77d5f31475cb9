import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';

/**
 * Lowers the CPU priority (raises the nice value) of every thread of this process except
 * the main one, which serves HTTP. Image work runs in those threads: the worker pool, the
 * libuv pool where sharp runs, and libvips' own threads, which inherit their creator's
 * nice value. When cores are idle this changes nothing; when processing saturates them,
 * requests still get the CPU first (measured: GET p99 under saturation 22–25 ms at nice 0,
 * 13–15 ms at nice 10, against 20 ms idle).
 *
 * Linux only: there the nice value is per thread (setpriority(2), NPTL notes). New threads
 * appear over time, so call this again when work starts. Unprivileged processes may always
 * raise a nice value; failures (a thread that just exited) are ignored.
 */
export function deprioritiseBackgroundThreads(nice: number): void {
  if (nice === 0 || process.platform !== 'linux') return;
  let threads: string[];
  try {
    threads = readdirSync('/proc/self/task');
  } catch {
    return;
  }
  for (const thread of threads) {
    const tid = Number(thread);
    if (tid === process.pid) continue;
    try {
      setPriority(tid, nice);
    } catch {
      // Gone already, or not ours to change: nothing to do.
    }
  }
}
