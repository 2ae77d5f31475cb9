import { Worker } from 'node:worker_threads';
import type { EventSourceSettings } from './event-source-worker.ts';

/** The running pollers; `stop` lets each finish its batch, then ends it. */
export interface EventSource {
  stop(graceMs: number): Promise<void>;
}

/** A poller that died is started again after this, as Lambda retries a failed init. */
const RESPAWN_DELAY_MS = 2000;

/**
 * Lambda's SQS event source mapping for one function (process, webhook), with `concurrency` pollers,
 * each a worker thread that is one warm "container" (so image work never blocks the gateway).
 * A poller that dies (its init failed, say) is reported and started again: uploads keep
 * their messages in the queue meanwhile, as on Lambda.
 */
export function startEventSource(
  settings: EventSourceSettings,
  concurrency: number,
  log: (line: string) => void,
): EventSource {
  let stopping = false;
  const running = new Set<{ worker: Worker; exited: Promise<void> }>();

  function spawn(): void {
    const worker = new Worker(new URL('./event-source-entry.mjs', import.meta.url), { workerData: settings });
    worker.on('error', (error) => log(`event source: a poller failed: ${error.stack ?? error}`));
    // Listened for from the start: a worker that has already exited never says so again.
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    const entry = { worker, exited };
    running.add(entry);
    void exited.then(() => {
      running.delete(entry);
      if (stopping) return;
      log(`event source: a poller exited unexpectedly; starting another in ${RESPAWN_DELAY_MS / 1000} s`);
      setTimeout(() => {
        if (!stopping) spawn();
      }, RESPAWN_DELAY_MS).unref();
    });
  }

  for (let i = 0; i < concurrency; i++) spawn();
  return {
    async stop(graceMs) {
      stopping = true;
      await Promise.all(
        [...running].map(async ({ worker, exited }) => {
          worker.postMessage('stop');
          const timer = setTimeout(() => void worker.terminate(), graceMs);
          await exited;
          clearTimeout(timer);
        }),
      );
    },
  };
}
