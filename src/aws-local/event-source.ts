import { Worker } from 'node:worker_threads';
import type { EventSourceSettings } from './event-source-worker.ts';

/** The running pollers; `stop` lets each finish its batch, then ends it. */
export interface EventSource {
  stop(graceMs: number): Promise<void>;
}

/**
 * Lambda's SQS event source mapping for the process function, with `concurrency` pollers,
 * each a worker thread that is one warm "container" (so image work never blocks the gateway).
 */
export function startEventSource(settings: EventSourceSettings, concurrency: number): EventSource {
  const workers = Array.from(
    { length: concurrency },
    () => new Worker(new URL('./event-source-entry.mjs', import.meta.url), { workerData: settings }),
  );
  for (const worker of workers) {
    worker.on('error', (error) => console.error(`event source worker failed: ${error.stack ?? error}`));
  }
  return {
    async stop(graceMs) {
      await Promise.all(
        workers.map(async (worker) => {
          const ended = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
          worker.postMessage('stop');
          const timer = setTimeout(() => void worker.terminate(), graceMs);
          await ended;
          clearTimeout(timer);
        }),
      );
    },
  };
}
