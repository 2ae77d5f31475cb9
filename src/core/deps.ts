import type { BlobStore } from '../ports/blob-store.ts';
import type { Clock } from '../ports/clock.ts';
import type { ImageEvents } from '../ports/image-events.ts';
import type { ImageRepository } from '../ports/image-repository.ts';
import type { DeadLetterQueue, JobQueue } from '../ports/job-queue.ts';
import type { SignedUrls } from '../ports/signed-urls.ts';
import type { StorageGauge } from '../ports/storage-gauge.ts';
import type { AnalysisName } from './analysis.ts';

/** The settings use cases need, already validated by the config module. */
export interface CoreSettings {
  maxUploadBytes: number;
  uploadUrlTtlSeconds: number;
  downloadUrlTtlSeconds: number;
  retentionDays: number;
  /** Analyses run when an upload does not choose its own. */
  analyses: AnalysisName[];
}

/** What the request-side use cases work with; every field is a port or plain data. */
export interface CoreDeps {
  repo: ImageRepository;
  blobs: BlobStore;
  queue: JobQueue;
  deadLetters: DeadLetterQueue;
  /** Upload and download URLs: our own signed routes locally, S3 presigned on AWS. */
  urls: SignedUrls;
  clock: Clock;
  /** Wakes status long-polls when an image's job ends or it is deleted. */
  events: ImageEvents;
  settings: CoreSettings;
  /** Free space where the home has a disk of its own (local); uploads check it first. */
  storage?: StorageGauge;
  /** Called after a job is enqueued so a local worker can pick it up without polling delay. */
  onJobQueued?: () => void;
  /**
   * The W3C `traceparent` of the request being served, where the home traces (local, with
   * OTEL_EXPORTER_OTLP_ENDPOINT set): carried in the job so its span joins the upload's trace.
   */
  traceparent?: () => string | undefined;
}
