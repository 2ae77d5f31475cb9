import type { Analysis } from '../core/analysis.ts';
import type { SearchTerms } from '../core/analyze-image.ts';
import type {
  ImageErrorInfo,
  ImageMetadata,
  ImageRecord,
  ImageStatus,
  ImageSummary,
  ImageType,
  Placeholder,
  StepName,
  StepState,
  Steps,
  Variant,
} from '../core/image.ts';

export interface NewImage {
  imageId: string;
  tenant: string;
  fileName: string;
  fileType: ImageType;
  steps: Steps;
  createdAt: number;
}

export interface ListQuery {
  tenant: string;
  limit: number;
  status?: ImageStatus;
  /** Only images with this label / detected object (exact, case-insensitive). */
  label?: string;
  object?: string;
  /** Only images whose recognised text contains this (case-insensitive, at least 3 characters). */
  text?: string;
  /** Keyset cursor: the (createdAt, imageId) of the last item of the previous page. */
  after?: { createdAt: number; imageId: string };
}

export interface StepUpdate {
  step: StepName;
  state: StepState;
  variants?: Variant[];
  metadata?: ImageMetadata;
  placeholder?: Placeholder;
  analysis?: Analysis;
  /** Replaces the image's search index entries (written with the analysis). */
  terms?: SearchTerms;
}

/**
 * Image records. Every state change is conditional on the current status so that a
 * duplicate or late job delivery can never move an image backwards; methods return
 * false (or null) when the condition did not hold.
 */
export interface ImageRepository {
  create(image: NewImage): Promise<void>;
  get(tenant: string, imageId: string): Promise<ImageRecord | null>;
  /** Internal lookup for signed URLs, which carry no tenant. */
  getById(imageId: string): Promise<ImageRecord | null>;
  list(query: ListQuery): Promise<ImageSummary[]>;
  delete(tenant: string, imageId: string): Promise<boolean>;

  /** pending → (claimed): one upload at a time per URL. */
  claimUpload(imageId: string, now: number): Promise<boolean>;
  releaseUpload(imageId: string): Promise<void>;
  /** pending → uploaded, with the stored size and retention deadline. */
  markUploaded(imageId: string, size: number, now: number, expiresAt: number): Promise<boolean>;
  /** uploaded|processing → processing, only for a newer delivery (attempt) than the last one. */
  startProcessing(imageId: string, attempt: number, now: number): Promise<ImageRecord | null>;
  /** Records one finished step; false if the image is gone or no longer processing. */
  updateStep(imageId: string, update: StepUpdate, now: number): Promise<boolean>;
  complete(imageId: string, now: number): Promise<boolean>;
  /** processing → uploaded: the queue will deliver the job again. */
  scheduleRetry(imageId: string, message: string, now: number): Promise<boolean>;
  /**
   * uploaded|processing → failed, with the reason. `step`, the step that was running (null
   * if none was), is marked failed in the same conditional write; the other steps are left
   * as they are (clients see those never reached as skipped: visibleSteps).
   */
  fail(imageId: string, error: ImageErrorInfo, now: number, step: StepName | null): Promise<boolean>;
  /**
   * failed → uploaded with attempts reset and `steps` (those the failed run left failed or
   * processing: stepsToRerun) back to pending, for a dead-lettered job that is redriven.
   */
  reopen(imageId: string, now: number, steps: readonly StepName[]): Promise<boolean>;

  /** Images whose retention ran out, and pending uploads nobody completed. */
  findExpired(
    now: number,
    pendingCreatedBefore: number,
    limit: number,
  ): Promise<Array<{ tenant: string; imageId: string }>>;
  /** Mean processing time of recent images, for status estimates; null if none yet. */
  recentProcessingMillis(): Promise<number | null>;
}
