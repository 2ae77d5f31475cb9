import { ANALYSES, type Analysis, type AnalysisName } from './analysis.ts';

/** The life of an image; transitions are conditional writes in the repository. */
export const IMAGE_STATUSES = ['pending', 'uploaded', 'processing', 'completed', 'failed'] as const;
export type ImageStatus = (typeof IMAGE_STATUSES)[number];

/** Completed or failed: nothing more will happen to the image unless it is redriven. */
export function isFinished(status: ImageStatus): status is 'completed' | 'failed' {
  return status === 'completed' || status === 'failed';
}

/**
 * `analysis` sums up the four analysis steps (kept from before they were split, as clients
 * poll it); each analysis also has its own step so a slow OCR does not hide the rest.
 */
export const STEP_NAMES = ['thumbnail', 'webp', 'metadata', 'analysis', ...ANALYSES] as const;
export type StepName = (typeof STEP_NAMES)[number];
export type StepState = 'pending' | 'processing' | 'completed' | 'failed' | 'skipped';
export type Steps = Record<StepName, StepState>;

export const ALLOWED_TYPES = [
  'image/jpeg',
  'image/png',
  'image/gif',
  'image/webp',
  'image/avif',
  'image/tiff',
] as const;
export type ImageType = (typeof ALLOWED_TYPES)[number];

export const VARIANTS = ['original', 'thumb-small', 'thumb-medium', 'thumb-large', 'webp'] as const;
export type Variant = (typeof VARIANTS)[number];

/** Longest edge in pixels of each thumbnail; never enlarged. */
export const THUMBNAIL_SIZES = { small: 150, medium: 480, large: 1024 } as const;
export type ThumbnailSize = keyof typeof THUMBNAIL_SIZES;

export interface GpsPosition {
  latitude: number;
  longitude: number;
}

export interface ExifSummary {
  make: string | null;
  model: string | null;
  lens: string | null;
  takenAt: string | null;
  exposureTime: number | null;
  fNumber: number | null;
  iso: number | null;
  focalLength: number | null;
  gps: GpsPosition | null;
}

export interface ImageMetadata {
  width: number;
  height: number;
  format: string;
  size: number;
  hasAlpha: boolean;
  orientation: number;
  exif: ExifSummary | null;
}

export interface Placeholder {
  thumbhash: string;
  dominantColor: string;
}

export interface ImageErrorInfo {
  code: string;
  message: string;
}

/** What the repository stores about one image. Timestamps are epoch milliseconds. */
export interface ImageRecord {
  imageId: string;
  tenant: string;
  fileName: string;
  fileType: ImageType;
  size: number | null;
  status: ImageStatus;
  steps: Steps;
  attempts: number;
  message: string;
  error: ImageErrorInfo | null;
  metadata: ImageMetadata | null;
  placeholder: Placeholder | null;
  analysis: Analysis | null;
  variants: Variant[];
  createdAt: number;
  uploadedAt: number | null;
  startedAt: number | null;
  processedAt: number | null;
  updatedAt: number;
  expiresAt: number | null;
}

/** A list item's fields: a page never reads or parses metadata, analysis or steps. */
export type ImageSummary = Pick<
  ImageRecord,
  'imageId' | 'tenant' | 'fileName' | 'fileType' | 'size' | 'status' | 'variants' | 'createdAt' | 'uploadedAt'
>;

/** A new image's steps: the chosen analyses are pending, the others skipped. */
export function initialSteps(analyses: readonly AnalysisName[]): Steps {
  const chosen = (name: AnalysisName) => (analyses.includes(name) ? 'pending' : 'skipped');
  return {
    thumbnail: 'pending',
    webp: 'pending',
    metadata: 'pending',
    analysis: analyses.length > 0 ? 'pending' : 'skipped',
    objects: chosen('objects'),
    faces: chosen('faces'),
    moderation: chosen('moderation'),
    text: chosen('text'),
  };
}

/** The analyses an image was uploaded with: those whose step was not skipped. */
export function requestedAnalyses(steps: Steps): AnalysisName[] {
  return ANALYSES.filter((name) => steps[name] !== 'skipped');
}

/**
 * Steps as stored, completed with `skipped` for steps added after the record was written
 * (images processed before analysis existed had only the first four).
 */
export function withAllSteps(stored: Partial<Steps>): Steps {
  return Object.fromEntries(STEP_NAMES.map((name) => [name, stored[name] ?? 'skipped'])) as Steps;
}

/**
 * Steps as clients see them. A failed image runs nothing more, so the steps it never reached
 * (still `pending`, or cut short while `processing`) show as `skipped`. They stay pending in
 * the record: a stored `skipped` analysis means "not requested" (requestedAnalyses), and a
 * redriven image must still run them.
 */
export function visibleSteps(record: Pick<ImageRecord, 'status' | 'steps'>): Steps {
  if (record.status !== 'failed') return record.steps;
  const shown = (state: StepState): StepState =>
    state === 'pending' || state === 'processing' ? 'skipped' : state;
  return Object.fromEntries(STEP_NAMES.map((name) => [name, shown(record.steps[name])])) as Steps;
}

/**
 * Share of the visible steps that are finished (completed, failed or skipped), 0–100: a
 * completed or failed image is at 100, since nothing more will run.
 */
export function progressOf(record: Pick<ImageRecord, 'status' | 'steps'>): number {
  if (record.status === 'completed') return 100;
  if (record.status === 'pending' || record.status === 'uploaded') return 0;
  const states = Object.values(visibleSteps(record));
  const done = states.filter((s) => s === 'completed' || s === 'skipped' || s === 'failed').length;
  return Math.round((done / states.length) * 100);
}

/**
 * The steps a failed run left behind that a redrive must run again: the one that failed
 * (and analyses that failed or were cut short on the way). Skipped steps stay skipped.
 */
export function stepsToRerun(steps: Steps): StepName[] {
  return STEP_NAMES.filter((name) => steps[name] === 'failed' || steps[name] === 'processing');
}

/** Storage keys are built only from ids we generated: no user-supplied text reaches a path. */
export function storageKey(tenant: string, imageId: string, variant: Variant): string {
  return `${tenant}/${imageId}/${VARIANT_FILES[variant]}`;
}

/**
 * Where a signed upload URL puts the bytes. Not `original`: a URL the store cannot make
 * single-use (an S3 presigned PUT works until it expires) must never be able to replace an
 * original that was checked and processed. completeUpload checks what arrives here and
 * moves it to `original`.
 */
export function incomingKey(tenant: string, imageId: string): string {
  return `${tenant}/${imageId}/incoming`;
}

export function imagePrefix(tenant: string, imageId: string): string {
  return `${tenant}/${imageId}/`;
}

const VARIANT_FILES: Record<Variant, string> = {
  original: 'original',
  'thumb-small': 'thumb-small.jpg',
  'thumb-medium': 'thumb-medium.jpg',
  'thumb-large': 'thumb-large.jpg',
  webp: 'full.webp',
};

export function variantContentType(variant: Variant, fileType: ImageType): string {
  if (variant === 'original') return fileType;
  return variant === 'webp' ? 'image/webp' : 'image/jpeg';
}
