import type { CoreDeps } from './deps.ts';
import { stepsToRerun } from './image.ts';
import { TRANSITIONS } from './image-state.ts';

/**
 * Sends dead-lettered jobs back to the main queue once the fault behind them is fixed.
 * Their images were marked failed on the last attempt; they are reopened first, or the
 * redriven job would find a finished image and do nothing; the step that failed goes back to
 * pending so the next run starts clean.
 */
export async function redriveDeadLetters(
  deps: Pick<CoreDeps, 'repo' | 'deadLetters' | 'clock' | 'onJobQueued'>,
  ids?: string[],
): Promise<number> {
  const letters = await deps.deadLetters.listDeadLetters(10_000);
  const wanted = ids && new Set(ids);
  const chosen = wanted ? letters.filter((letter) => wanted.has(letter.id)) : letters;
  for (const letter of chosen) {
    // A failed image's steps cannot change until it is reopened, so this read stays true
    // for the conditional write that follows.
    const image = await deps.repo.getById(letter.job.data.imageId);
    if (image?.status === 'failed')
      await deps.repo.transition(
        image.imageId,
        TRANSITIONS.reopen(deps.clock.now(), stepsToRerun(image.steps)),
      );
  }
  if (chosen.length === 0) return 0;
  const redriven = await deps.deadLetters.redrive(chosen.map((letter) => letter.id));
  // Like an upload's enqueue: wake a local worker instead of waiting for its next poll.
  if (redriven > 0) deps.onJobQueued?.();
  return redriven;
}
