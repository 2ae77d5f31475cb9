import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { ALLOWED_TYPES, VARIANTS } from '../../core/image.ts';
import { errorResponses, json, unkeyedErrors } from '../openapi.ts';

/**
 * OpenAPI entries for the routes that are not zod-openapi routes: the signed upload and
 * download URLs (they stream raw bytes, which Hono's validators would buffer) and the
 * document itself. Their handlers live in files.ts and app.ts.
 */
export function documentRawRoutes(registry: OpenAPIHono['openAPIRegistry']): void {
  const signedQuery = z.object({
    expires: z.string().openapi({ param: { name: 'expires', in: 'query' }, description: 'Epoch seconds' }),
    signature: z.string().openapi({ param: { name: 'signature', in: 'query' } }),
  });
  const imageId = z.uuid().openapi({ param: { name: 'imageId', in: 'path' } });
  const bytes = (description: string, types: readonly string[]) => ({
    description,
    content: Object.fromEntries(
      types.map((type) => [type, { schema: z.string().openapi({ format: 'binary' }) }]),
    ),
  });
  const signatureErrors = { 403: ['INVALID_SIGNATURE', 'EXPIRED_SIGNATURE'] } as const;

  registry.registerPath({
    method: 'put',
    path: '/uploads/{imageId}',
    summary: 'Upload the bytes to the signed URL from POST /images/upload (no x-api-key)',
    description:
      'Content-Type must equal the signed fileType; the body must be that type (magic number checked) and at most MAX_UPLOAD_BYTES. One upload per URL.',
    request: {
      params: z.object({ imageId }),
      query: signedQuery,
      body: { ...bytes('The image', ALLOWED_TYPES), required: true },
    },
    responses: {
      200: json(
        z.object({ imageId: z.uuid(), status: z.literal('uploaded') }),
        'Stored; processing starts now',
      ),
      ...errorResponses(
        unkeyedErrors({
          400: ['EMPTY_UPLOAD'],
          ...signatureErrors,
          404: ['NOT_FOUND'],
          409: ['UPLOAD_URL_USED'],
          413: ['PAYLOAD_TOO_LARGE'],
          415: ['CONTENT_TYPE_MISMATCH', 'CONTENT_MISMATCH'],
        }),
      ),
    },
  });

  registry.registerPath({
    method: 'get',
    path: '/files/{imageId}/{variant}',
    summary: 'Download the original or a variant from a signed URL in an image record (no x-api-key)',
    description:
      'Supports If-None-Match / If-Modified-Since (304) and a single byte Range (206), with If-Range.',
    request: {
      params: z.object({
        imageId,
        variant: z.enum(VARIANTS).openapi({ param: { name: 'variant', in: 'path' } }),
      }),
      query: signedQuery,
    },
    responses: {
      200: bytes('The file', [...ALLOWED_TYPES]),
      206: bytes('The requested byte range (Content-Range says which)', [...ALLOWED_TYPES]),
      304: { description: 'Not modified: the ETag or date the client has is current' },
      ...errorResponses(
        unkeyedErrors({
          ...signatureErrors,
          404: ['NOT_FOUND'],
          416: ['RANGE_NOT_SATISFIABLE'],
          503: ['FILE_CHANGED'],
        }),
      ),
    },
  });

  registry.registerPath({
    method: 'get',
    path: '/openapi.json',
    summary: 'This document (no x-api-key)',
    responses: {
      200: {
        description: 'OpenAPI 3.1',
        content: { 'application/json': { schema: z.object({}).passthrough() } },
      },
    },
  });
}
