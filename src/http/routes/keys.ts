import { createRoute, z } from '@hono/zod-openapi';
import { ConflictError, NotFoundError } from '../../core/errors.ts';
import type { Clock } from '../../ports/clock.ts';
import type { ApiKeyRecord, KeyLimits, KeyStore } from '../../ports/key-store.ts';
import type { AuthVariables } from '../auth.ts';
import { errorResponses, JSON_BODY_ERRORS, json, keyedErrors, security } from '../openapi.ts';
import { createRouter } from '../router.ts';
import { CreatedKeySchema, CreateKeyRequestSchema, KeyIdParamSchema, KeySchema } from '../schemas.ts';

/** The limits a new key gets when the request leaves them out. */
export type KeyDefaults = KeyLimits;

const presentKey = (key: ApiKeyRecord) => ({
  keyId: key.keyId,
  name: key.name,
  admin: key.admin,
  rateLimit: { rps: key.rateLimitRps, burst: key.rateLimitBurst },
  dailyQuota: key.dailyQuota,
  createdAt: new Date(key.createdAt).toISOString(),
  revokedAt: key.revokedAt === null ? null : new Date(key.revokedAt).toISOString(),
});

/** Admin-only key management. Each new key is its own tenant; its secret is shown once. */
export function keyRoutes(keys: KeyStore, clock: Clock, defaults: KeyDefaults) {
  const app = createRouter<{ Variables: AuthVariables }>();

  app.openapi(
    createRoute({
      method: 'post',
      path: '/keys',
      summary: 'Create an API key (admin)',
      security,
      request: { body: { ...json(CreateKeyRequestSchema, 'Key name and optional limits'), required: true } },
      responses: {
        201: json(CreatedKeySchema, 'The new key; apiKey is shown only here'),
        ...errorResponses(
          keyedErrors({ 400: ['VALIDATION_ERROR', 'INVALID_JSON'], ...JSON_BODY_ERRORS }, { admin: true }),
        ),
      },
    }),
    async (c) => {
      const input = c.req.valid('json');
      const { record, apiKey } = await keys.create({
        name: input.name,
        rateLimitRps: input.rateLimit?.rps ?? defaults.rateLimitRps,
        rateLimitBurst: input.rateLimit?.burst ?? defaults.rateLimitBurst,
        dailyQuota: input.dailyQuota ?? defaults.dailyQuota,
        now: clock.now(),
      });
      return c.json(
        {
          keyId: record.keyId,
          apiKey,
          name: record.name,
          createdAt: new Date(record.createdAt).toISOString(),
        },
        201,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/keys',
      summary: 'List API keys (admin); secrets are never returned',
      security,
      responses: {
        200: json(z.object({ keys: z.array(KeySchema) }), 'All keys'),
        ...errorResponses(keyedErrors({}, { admin: true })),
      },
    }),
    async (c) => c.json({ keys: (await keys.list()).map(presentKey) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/keys/{keyId}',
      summary: 'Revoke an API key (admin)',
      security,
      request: { params: KeyIdParamSchema },
      responses: {
        200: json(z.object({ message: z.string(), keyId: z.string() }), 'Revoked'),
        ...errorResponses(
          keyedErrors({ 400: ['VALIDATION_ERROR'], 404: ['NOT_FOUND'], 409: ['ADMIN_KEY'] }, { admin: true }),
        ),
      },
    }),
    async (c) => {
      const { keyId } = c.req.valid('param');
      const key = await keys.get(keyId);
      if (!key || key.revokedAt !== null) throw new NotFoundError(`API key ${keyId} not found`);
      if (key.admin)
        throw new ConflictError(
          'The admin key is managed through API_KEY; it cannot be revoked',
          'ADMIN_KEY',
        );
      await keys.revoke(keyId, clock.now());
      return c.json({ message: 'API key revoked', keyId }, 200);
    },
  );

  return app;
}
