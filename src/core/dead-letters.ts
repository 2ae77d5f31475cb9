import type { ImageRepository } from '../ports/image-repository.ts';
import type { JobQueue } from '../ports/job-queue.ts';

/**
 * Sends dead-lettered jobs back to the main queue once the fault behind them is fixed.
 * Their images were marked failed on the last attempt; they are reopened first, or the
 * redriven job would find a finished image and do nothing.
 */
export async function redriveDeadLetters(
  deps: { repo: ImageRepository; queue: JobQueue; clock: { now(): number } },
  ids?: string[],
): Promise<number> {
  const letters = await deps.queue.listDeadLetters(10_000);
  const chosen = ids ? letters.filter((letter) => ids.includes(letter.id)) : letters;
  for (const letter of chosen) {
    if (letter.job.name === 'process-image')
      await deps.repo.reopen(letter.job.data.imageId, deps.clock.now());
  }
  return chosen.length === 0 ? 0 : deps.queue.redrive(chosen.map((letter) => letter.id));
}
