/**
 * Every error the API answers with is an AppError: an HTTP status plus a stable code that
 * clients can branch on. Anything else reaching the edge is a bug and becomes a generic 500.
 */
export class AppError extends Error {
  readonly status: number;
  readonly code: string;
  /** Response headers the status calls for (Retry-After, Allow, Content-Range). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: number,
    code: string,
    message: string,
    options?: { cause?: unknown; headers?: Record<string, string> },
  ) {
    super(message, options);
    this.name = 'AppError';
    this.status = status;
    this.code = code;
    this.headers = options?.headers ?? {};
  }
}

export class ValidationError extends AppError {
  constructor(message: string, code = 'VALIDATION_ERROR') {
    super(400, code, message);
    this.name = 'ValidationError';
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = 'Missing API key: send it in the x-api-key header') {
    super(401, 'UNAUTHORIZED', message);
    this.name = 'UnauthorizedError';
  }
}

export class ForbiddenError extends AppError {
  constructor(message: string, code = 'FORBIDDEN') {
    super(403, code, message);
    this.name = 'ForbiddenError';
  }
}

export class NotFoundError extends AppError {
  constructor(message: string) {
    super(404, 'NOT_FOUND', message);
    this.name = 'NotFoundError';
  }
}

export class MethodNotAllowedError extends AppError {
  constructor(method: string, path: string, allowed: readonly string[]) {
    super(405, 'METHOD_NOT_ALLOWED', `${method} is not supported on ${path}; use ${allowed.join(' or ')}`, {
      headers: { Allow: allowed.join(', ') },
    });
    this.name = 'MethodNotAllowedError';
  }
}

export class ConflictError extends AppError {
  constructor(message: string, code = 'CONFLICT') {
    super(409, code, message);
    this.name = 'ConflictError';
  }
}

export class PayloadTooLargeError extends AppError {
  constructor(message: string) {
    super(413, 'PAYLOAD_TOO_LARGE', message);
    this.name = 'PayloadTooLargeError';
  }
}

export class UnsupportedMediaTypeError extends AppError {
  constructor(message: string, code = 'UNSUPPORTED_MEDIA_TYPE') {
    super(415, code, message);
    this.name = 'UnsupportedMediaTypeError';
  }
}

/** The Range asks only for bytes past the end; the answer's Content-Range gives the real `size`. */
export class RangeNotSatisfiableError extends AppError {
  constructor(message: string, size: number) {
    super(416, 'RANGE_NOT_SATISFIABLE', message, { headers: { 'Content-Range': `bytes */${size}` } });
    this.name = 'RangeNotSatisfiableError';
  }
}

export class RateLimitedError extends AppError {
  constructor(message: string, retryAfterSeconds: number, code = 'RATE_LIMITED') {
    super(429, code, message, { headers: { 'Retry-After': String(retryAfterSeconds) } });
    this.name = 'RateLimitedError';
  }
}

/** The server's disk is (nearly) full: it refuses new uploads until space is freed. */
export class InsufficientStorageError extends AppError {
  constructor(message: string) {
    super(507, 'INSUFFICIENT_STORAGE', message);
    this.name = 'InsufficientStorageError';
  }
}

/**
 * A stored file was replaced between deciding what to send and opening it (a processing
 * retry rewrites variants); the client just asks again.
 */
export class FileChangedError extends AppError {
  constructor(message: string) {
    super(503, 'FILE_CHANGED', message);
    this.name = 'FileChangedError';
  }
}

/**
 * A processing failure. `retryable` decides whether the queue gets another attempt:
 * an undecodable file will not decode better the second time, a full disk might.
 */
export class ProcessingError extends Error {
  readonly code: string;
  readonly retryable: boolean;

  constructor(code: string, message: string, options: { retryable: boolean; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.name = 'ProcessingError';
    this.code = code;
    this.retryable = options.retryable;
  }
}

/**
 * A job's write was refused: the image was deleted, or another delivery of the job moved it
 * on. The job stops; it cleans up only if the image is really gone.
 */
export class ImageGoneError extends Error {
  constructor(imageId: string) {
    super(`Image ${imageId} no longer exists`);
    this.name = 'ImageGoneError';
  }
}
