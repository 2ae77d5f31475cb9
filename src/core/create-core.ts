import type { SharedConfig } from './config.ts';
import { coreSettingsFrom } from './config.ts';
import type { CoreDeps } from './deps.ts';

/** The ports the request-side use cases need, from whichever home is running. */
export type CoreAdapters = Omit<CoreDeps, 'settings' | 'onJobQueued'>;

/**
 * The core as every entry point builds it: the server and each Lambda hand in their home's
 * adapters and the validated configuration; nothing else is read.
 */
export function createCore(adapters: CoreAdapters, config: SharedConfig): CoreDeps {
  return { ...adapters, settings: coreSettingsFrom(config) };
}

/** What processing needs beyond the ports; plain data, so it can cross into a worker thread. */
export interface ProcessingSettings {
  maxPixels: number;
  maxAttempts: number;
  retryBaseDelayMs: number;
}

export function processingSettingsFrom(config: SharedConfig): ProcessingSettings {
  return {
    maxPixels: config.MAX_PIXELS,
    maxAttempts: config.JOB_MAX_ATTEMPTS,
    retryBaseDelayMs: config.RETRY_BASE_DELAY_MS,
  };
}
