import { ErrorSchema } from './schemas.ts';

/** A JSON response or body entry for `createRoute`. */
export const json = <T>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});

/** Every route but /health and the signed file URLs needs the x-api-key header. */
export const security = [{ apiKey: [] }];

export const commonErrors = {
  400: json(ErrorSchema, 'Invalid request; the message names the field'),
  401: json(ErrorSchema, 'Missing x-api-key'),
  403: json(ErrorSchema, 'Invalid or revoked API key, or not an admin key'),
  429: json(ErrorSchema, 'Rate limit or daily quota exceeded'),
};
