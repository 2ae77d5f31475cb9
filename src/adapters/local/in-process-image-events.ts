import type { ChangeWait, ImageEvents } from '../../ports/image-events.ts';

type Waiter = (outcome: ChangeWait) => void;

/**
 * Image change notices within one process: jobs finish in this process's worker pool and
 * the job runner reports each one here, so a waiting request wakes within a tick.
 */
export class InProcessImageEvents implements ImageEvents {
  private readonly waiters = new Map<string, Set<Waiter>>();
  private closed = false;

  changed(imageId: string): void {
    const waiting = this.waiters.get(imageId);
    if (!waiting) return;
    this.waiters.delete(imageId);
    for (const wake of waiting) wake('changed');
  }

  next(imageId: string, ms: number): Promise<ChangeWait> {
    if (this.closed) return Promise.resolve('closed');
    return new Promise((resolve) => {
      const waiting = this.waiters.get(imageId) ?? new Set<Waiter>();
      this.waiters.set(imageId, waiting);
      const timer = setTimeout(() => settle('timeout'), ms);
      const settle: Waiter = (outcome) => {
        clearTimeout(timer);
        waiting.delete(settle);
        if (waiting.size === 0 && this.waiters.get(imageId) === waiting) this.waiters.delete(imageId);
        resolve(outcome);
      };
      waiting.add(settle);
    });
  }

  close(): void {
    this.closed = true;
    for (const waiting of [...this.waiters.values()]) for (const wake of [...waiting]) wake('closed');
    this.waiters.clear();
  }
}
