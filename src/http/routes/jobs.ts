import { createRoute, z } from '@hono/zod-openapi';
import { redriveDeadLetters } from '../../core/dead-letters.ts';
import type { CoreDeps } from '../../core/deps.ts';
import type { AuthVariables } from '../auth.ts';
import { errorResponses, JSON_BODY_ERRORS, json, keyedErrors, security } from '../openapi.ts';
import { createRouter } from '../router.ts';

const DeadLetterSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    imageId: z.string().nullable(),
    receiveCount: z.number().int(),
    lastError: z.string().nullable(),
    deadLetteredAt: z.iso.datetime(),
  })
  .openapi('DeadLetter');

/** Admin view of the dead-letter queue: what gave up, why, and a way to try again. */
export function jobRoutes(deps: CoreDeps) {
  const app = createRouter<{ Variables: AuthVariables }>();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/jobs/dead-letters',
      summary: 'Jobs that failed every attempt (admin)',
      security,
      responses: {
        200: json(z.object({ deadLetters: z.array(DeadLetterSchema) }), 'Dead letters, oldest first'),
        ...errorResponses(keyedErrors({}, { admin: true })),
      },
    }),
    async (c) => {
      const letters = await deps.deadLetters.listDeadLetters(1000);
      const deadLetters = letters.map((letter) => ({
        id: letter.id,
        name: letter.job.name,
        imageId: 'imageId' in letter.job.data ? letter.job.data.imageId : null,
        receiveCount: letter.receiveCount,
        lastError: letter.lastError,
        deadLetteredAt: new Date(letter.deadLetteredAt).toISOString(),
      }));
      return c.json({ deadLetters }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/jobs/dead-letters/redrive',
      summary: 'Send dead letters back to the queue (admin); all of them unless ids are given',
      security,
      request: {
        body: {
          ...json(z.object({ ids: z.array(z.string().max(64)).max(1000).optional() }), 'Which dead letters'),
          required: false,
        },
      },
      responses: {
        200: json(z.object({ redriven: z.number().int() }), 'How many were sent back'),
        ...errorResponses(
          keyedErrors({ 400: ['VALIDATION_ERROR', 'INVALID_JSON'], ...JSON_BODY_ERRORS }, { admin: true }),
        ),
      },
    }),
    async (c) => {
      const body = c.req.header('content-type')?.includes('json') ? c.req.valid('json') : {};
      const redriven = await redriveDeadLetters(deps, body.ids);
      return c.json({ redriven }, 200);
    },
  );

  return app;
}
