import { describe, expect, it } from 'vitest';
import type { ImageEvents } from '../../src/ports/image-events.ts';

/**
 * What status long-polls rely on from ImageEvents: a notice wakes the waiters of that image
 * only, a wait without one times out, and closing wakes everyone at once and refuses new
 * waits. Notices are hints (waiters re-read the record), so no ordering is promised.
 */
export function imageEventsContract(make: () => ImageEvents): void {
  describe('Method: next / changed', () => {
    it('wakes every waiter of the image that changed, and only those', async () => {
      const events = make();
      const a1 = events.next('a', 5000);
      const a2 = events.next('a', 5000);
      const b = events.next('b', 50);
      events.changed('a');
      expect(await Promise.all([a1, a2, b])).toEqual(['changed', 'changed', 'timeout']);
    });

    it('times out after the wait when nothing changes', async () => {
      const started = performance.now();
      expect(await make().next('a', 60)).toBe('timeout');
      expect(performance.now() - started).toBeGreaterThanOrEqual(50);
    });

    it('does not keep a notice for a later waiter (it re-reads the record instead)', async () => {
      const events = make();
      events.changed('a');
      expect(await events.next('a', 30)).toBe('timeout');
    });
  });

  describe('Method: close', () => {
    it('wakes every waiter at once and answers later waits at once', async () => {
      const events = make();
      const waiting = [events.next('a', 10_000), events.next('b', 10_000)];
      events.close();
      expect(await Promise.all(waiting)).toEqual(['closed', 'closed']);
      expect(await events.next('c', 10_000)).toBe('closed');
    });
  });
}
