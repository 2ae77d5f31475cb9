/**
 * What can go wrong asking Rekognition, in our words: the SDK's exception classes stay in this
 * adapter, the original is kept as `cause`, and the message names the operation so an
 * image's `analysis.errors` says which call failed and why.
 */
export class RekognitionError extends Error {
  /** The Rekognition operation that failed, e.g. `DetectLabels`. */
  readonly operation: string;
  /** Whether the same request may succeed later (throttling, a service fault). */
  readonly retryable: boolean;

  constructor(operation: string, message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super(message, { cause: options.cause });
    this.name = 'RekognitionError';
    this.operation = operation;
    this.retryable = options.retryable ?? false;
  }
}

/** Rekognition will not look at this image (too large, not JPEG/PNG, too small): retrying cannot help. */
export class RekognitionImageError extends RekognitionError {
  constructor(operation: string, message: string, cause?: unknown) {
    super(operation, message, { cause });
    this.name = 'RekognitionImageError';
  }
}

/** The account's request rate or quota for Rekognition was exceeded after the SDK's own retries. */
export class RekognitionThrottledError extends RekognitionError {
  constructor(operation: string, message: string, cause?: unknown) {
    super(operation, message, { cause, retryable: true });
    this.name = 'RekognitionThrottledError';
  }
}

/** The credentials in use may not call this operation: a deployment problem, not the image's. */
export class RekognitionAccessError extends RekognitionError {
  constructor(operation: string, message: string, cause?: unknown) {
    super(operation, message, { cause });
    this.name = 'RekognitionAccessError';
  }
}

/** Rekognition takes at most 5 MB of image bytes in a request. */
export const MAX_IMAGE_BYTES = 5 * 1024 * 1024;

const THROTTLED = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'LimitExceededException',
  'ServiceQuotaExceededException',
]);

/** Turns whatever a Rekognition call threw into one of our errors, keeping the original as `cause`. */
export function rekognitionError(operation: string, error: unknown): RekognitionError {
  const code = error instanceof Error ? error.name : 'Error';
  const detail = error instanceof Error && error.message ? `: ${error.message}` : '';
  const call = `Rekognition ${operation}`;
  if (code === 'ImageTooLargeException')
    return new RekognitionImageError(
      operation,
      `${call} refused the image as too large (${code}; it takes at most 5 MB of bytes)${detail}`,
      error,
    );
  if (code === 'InvalidImageFormatException')
    return new RekognitionImageError(
      operation,
      `${call} could not read the image (${code}; it takes JPEG or PNG)${detail}`,
      error,
    );
  if (code === 'InvalidParameterException')
    return new RekognitionImageError(operation, `${call} rejected the request (${code})${detail}`, error);
  if (THROTTLED.has(code))
    return new RekognitionThrottledError(
      operation,
      `${call} was throttled (${code}): the account's Rekognition rate or quota is exhausted, try again later${detail}`,
      error,
    );
  if (code === 'AccessDeniedException')
    return new RekognitionAccessError(
      operation,
      `${call} was denied (${code}): the role needs rekognition:${operation}${detail}`,
      error,
    );
  const retryable = code === 'InternalServerError' || code === 'TimeoutError';
  return new RekognitionError(operation, `${call} failed (${code})${detail}`, { cause: error, retryable });
}
