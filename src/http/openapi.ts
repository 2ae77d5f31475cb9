import { z } from '@hono/zod-openapi';

/** A JSON response or body entry for `createRoute`. */
export const json = <T>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});

/** Every route but /health, /openapi.json and the signed file URLs needs the x-api-key header. */
export const security = [{ apiKey: [] }];

const STATUS_MEANINGS: Record<number, string> = {
  400: 'Invalid request; the message names the field',
  401: 'Missing x-api-key',
  403: 'Not allowed',
  404: 'Not found',
  409: 'Conflict with the current state',
  413: 'Body too large',
  415: 'Wrong media type',
  416: 'Range not satisfiable',
  429: 'Rate limit or daily quota exceeded; see Retry-After',
  500: 'Unexpected server error; details are in the server log only',
  503: 'Try again',
};

/** The error codes each status can carry on one route. */
export type ErrorCodes = Partial<Record<keyof typeof STATUS_MEANINGS, readonly [string, ...string[]]>>;

/**
 * Error responses documented with the exact codes a client may see: the `code` field is an
 * enum per status, so a client generator (and our own response tests) know them all.
 */
export function errorResponses(codes: ErrorCodes) {
  return Object.fromEntries(
    Object.entries(codes).map(([status, list]) => [
      status,
      json(
        z.object({ error: z.object({ code: z.enum(list as [string, ...string[]]), message: z.string() }) }),
        `${STATUS_MEANINGS[Number(status)]}: ${(list as readonly string[]).join(', ')}`,
      ),
    ]),
  );
}

/** What any route can answer with: 500 is never planned, but it is part of the contract. */
const SERVER_ERROR = { 500: ['INTERNAL_ERROR'] } as const satisfies ErrorCodes;

/** Errors of every keyed route (authentication, rate limit) on top of its own. */
export function keyedErrors(own: ErrorCodes, options: { admin?: boolean } = {}): ErrorCodes {
  const forbidden = options.admin ? ['INVALID_API_KEY', 'ADMIN_REQUIRED'] : ['INVALID_API_KEY'];
  return {
    ...own,
    401: ['UNAUTHORIZED'],
    403: [...(own[403] ?? []), ...forbidden] as [string, ...string[]],
    429: ['RATE_LIMITED', 'QUOTA_EXCEEDED'],
    ...SERVER_ERROR,
  };
}

/** Errors of a route that reads a JSON body (malformed, too large, not JSON). */
export const JSON_BODY_ERRORS = {
  413: ['PAYLOAD_TOO_LARGE'],
  415: ['UNSUPPORTED_MEDIA_TYPE'],
} as const satisfies ErrorCodes;

export const unkeyedErrors = (own: ErrorCodes): ErrorCodes => ({ ...own, ...SERVER_ERROR });
