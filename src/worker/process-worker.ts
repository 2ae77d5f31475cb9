import { statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { workerData } from 'node:worker_threads';
import sharp from 'sharp';
import { LocalAnalyzer } from '../adapters/local/analysis/local-analyzer.ts';
import { FsBlobStore } from '../adapters/local/fs-blob-store.ts';
import { SharedImageVersions } from '../adapters/local/shared-image-versions.ts';
import { openDatabase } from '../adapters/local/sqlite-database.ts';
import { SqliteImageRepository } from '../adapters/local/sqlite-image-repository.ts';
import type { AnalysisName } from '../core/analysis.ts';
import type { ProcessingSettings } from '../core/create-core.ts';
import { createProcessing } from '../core/create-processing.ts';
import { type JobOutcome, runProcessImageJob } from '../core/processing.ts';
import { systemClock } from '../ports/clock.ts';
import type { Job } from '../ports/job-queue.ts';

/** What the main thread hands each worker at start-up (plain data: it crosses threads). */
export interface WorkerSettings extends ProcessingSettings {
  dataDir: string;
  /** The analyses enabled on the server (ANALYSIS); none means no models in this thread. */
  analyses: AnalysisName[];
  /** libvips threads per image: this worker's share of the cores. */
  libvipsThreads: number;
  /** MIN_FREE_DISK_MB in bytes: below it, a job that hit a full disk waits for space uncounted. */
  minFreeDiskBytes: number;
  /** The server's SharedImageVersions: this thread's writes must invalidate its read cache. */
  versions: SharedArrayBuffer;
}

export interface WorkerTask {
  job: Job;
  attempt: number;
}

const settings = workerData as WorkerSettings;

// libvips keeps a cache of recent operations; each upload is a new file so it never hits,
// and it holds memory. Parallelism comes from the pool, one image per worker thread, so
// each image gets its share of the cores: libvips' default (all cores per image) runs
// WORKERS × cores threads that only contend (measured: 0.87× → 0.96× of bare sharp).
sharp.cache(false);
sharp.concurrency(settings.libvipsThreads);

// This thread's own SQLite connection and blob store, opened as the thread starts rather than
// on its first job. Models are the exception: LocalAnalyzer loads each on first use.
const deps = createProcessing(
  {
    repo: new SqliteImageRepository(
      openDatabase(join(settings.dataDir, 'db.sqlite')),
      new SharedImageVersions(settings.versions),
    ),
    blobs: new FsBlobStore(join(settings.dataDir, 'files')),
    analyzer: settings.analyses.length > 0 ? new LocalAnalyzer() : null,
    clock: systemClock,
    storageLow: async () => {
      const fs = await statfs(settings.dataDir);
      return fs.bavail * fs.bsize < settings.minFreeDiskBytes;
    },
  },
  settings,
);

/** Runs one job in this worker thread; the outcome is plain data for the main thread's queue. */
export default async function processTask(task: WorkerTask): Promise<JobOutcome> {
  switch (task.job.name) {
    case 'process-image':
      return runProcessImageJob(deps, task.job.data, task.attempt);
  }
}
