import type { CoreDeps } from './deps.ts';

/**
 * Sends dead-lettered jobs back to the main queue once the fault behind them is fixed.
 * Their images were marked failed on the last attempt; they are reopened first, or the
 * redriven job would find a finished image and do nothing.
 */
export async function redriveDeadLetters(
  deps: Pick<CoreDeps, 'repo' | 'queue' | 'clock' | 'onJobQueued'>,
  ids?: string[],
): Promise<number> {
  const letters = await deps.queue.listDeadLetters(10_000);
  const wanted = ids && new Set(ids);
  const chosen = wanted ? letters.filter((letter) => wanted.has(letter.id)) : letters;
  for (const letter of chosen) await deps.repo.reopen(letter.job.data.imageId, deps.clock.now());
  if (chosen.length === 0) return 0;
  const redriven = await deps.queue.redrive(chosen.map((letter) => letter.id));
  // Like an upload's enqueue: wake a local worker instead of waiting for its next poll.
  if (redriven > 0) deps.onJobQueued?.();
  return redriven;
}
