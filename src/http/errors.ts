import type { Context } from 'hono';
import type { Logger } from 'pino';
import type { ZodError } from 'zod';
import { AppError, InsufficientStorageError, ValidationError } from '../core/errors.ts';
import { isStorageFull } from '../core/storage-full.ts';
import { requestLog } from './request-context.ts';

/** The one place errors become JSON: `{ error: { code, message } }`. */
export function errorResponse(c: Context, error: AppError): Response {
  for (const [name, value] of Object.entries(error.headers)) c.header(name, value);
  return c.json({ error: { code: error.code, message: error.message } }, error.status as 400);
}

/**
 * Known errors answer as themselves; a full disk as 507; anything else is logged with
 * context (the request's id, and the image's where the path names one) and answered 500.
 */
export function handleError(logger: Logger, onStorageFull: () => void) {
  return (error: Error, c: Context): Response => {
    if (error instanceof AppError) return errorResponse(c, error);
    if (isStorageFull(error)) {
      onStorageFull();
      requestLog(c, logger).warn({ err: error, method: c.req.method, path: c.req.path }, 'storage full');
      return errorResponse(
        c,
        new InsufficientStorageError("The server's storage is full: try again once space has been freed"),
      );
    }
    requestLog(c, logger).error({ err: error, method: c.req.method, path: c.req.path }, 'unhandled error');
    return c.json({ error: { code: 'INTERNAL_ERROR', message: 'Internal server error' } }, 500);
  };
}

/** What users call each part of the request that Hono's validator targets. */
const TARGET_NAMES: Record<string, string> = {
  json: 'body',
  query: 'query string',
  param: 'path',
  header: 'headers',
};

/** Turns zod issues into one message that names each offending field. */
export function validationError(error: ZodError, target: string): ValidationError {
  const where = TARGET_NAMES[target] ?? target;
  const parts = error.issues.slice(0, 5).map((issue) => {
    const field = issue.path.map(String).join('.') || where;
    return issue.message.startsWith(`${field}:`) ? issue.message : `${field}: ${issue.message}`;
  });
  return new ValidationError(parts.join('; '));
}
