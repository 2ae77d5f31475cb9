import type { ProcessingSettings } from './create-core.ts';
import type { ProcessingDeps } from './processing.ts';
import { SharpPipeline } from './sharp-pipeline.ts';

/**
 * Processing as a worker thread or the process Lambda builds it: the same sharp pipeline and
 * retry policy in both homes. Its own module, apart from createCore, because it loads sharp:
 * the AWS home imports it only when processing starts, so the API functions never load
 * sharp (~160 ms of a cold start, measured in bench/lambda-bundles.ts) nor ship it.
 */
export function createProcessing(
  adapters: Pick<ProcessingDeps, 'repo' | 'blobs' | 'analyzer' | 'clock' | 'storageLow'>,
  settings: ProcessingSettings,
): ProcessingDeps {
  const { maxPixels, maxAttempts, retryBaseDelayMs } = settings;
  return { ...adapters, pipeline: new SharpPipeline(maxPixels), maxPixels, maxAttempts, retryBaseDelayMs };
}
