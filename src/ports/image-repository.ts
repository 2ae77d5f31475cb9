import type { Analysis } from '../core/analysis.ts';
import type { SearchTerms } from '../core/analyze-image.ts';
import type {
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
import type { StateChange } from '../core/image-state.ts';

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
  /**
   * Only images whose recognised text contains this (case-insensitive, at least 3 characters).
   * A store without substring search (DynamoDB) may match whole words only: every word of this
   * must be a word of the text.
   */
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
 *
 * An image past its retention (expiresAt ≤ now) may be gone for get, getById and list before
 * the sweeper deletes it: a store that expires items itself (DynamoDB's TTL, which deletes
 * only eventually) must hide it. findExpired and delete still find it, so the sweeper can
 * remove its files.
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
  /**
   * Applies one transition of the state machine (src/core/image-state.ts) as a single
   * conditional write: only if the stored status is in `change.from` (and, when given, the
   * stored attempts are below `change.attemptsBelow`). Returns the record as written, or null
   * when the condition did not hold or the image is gone.
   */
  transition(imageId: string, change: StateChange): Promise<ImageRecord | null>;
  /** Records one finished step; false if the image is gone or no longer processing. */
  updateStep(imageId: string, update: StepUpdate, now: number): Promise<boolean>;

  /** Images whose retention ran out, and pending uploads nobody completed. */
  findExpired(
    now: number,
    pendingCreatedBefore: number,
    limit: number,
  ): Promise<Array<{ tenant: string; imageId: string }>>;
  /**
   * Mean processing time of recent images, for status estimates; null if none yet. A store
   * without aggregates may average a sample of recent completions instead of the latest ones.
   */
  recentProcessingMillis(): Promise<number | null>;
}
