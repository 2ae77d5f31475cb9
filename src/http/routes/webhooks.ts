import { createRoute, z } from '@hono/zod-openapi';
import { ConflictError, NotFoundError, ValidationError } from '../../core/errors.ts';
import { webhookUrlProblem } from '../../core/webhook-target.ts';
import { MAX_WEBHOOKS_PER_TENANT } from '../../core/webhooks.ts';
import type { Clock } from '../../ports/clock.ts';
import type { DeliveryRecord, WebhookRecord, WebhookStore } from '../../ports/webhooks.ts';
import type { AuthVariables } from '../auth.ts';
import { errorResponses, JSON_BODY_ERRORS, json, keyedErrors, security } from '../openapi.ts';
import { createRouter } from '../router.ts';
import {
  CreatedWebhookSchema,
  CreateWebhookRequestSchema,
  WebhookDeliverySchema,
  WebhookIdParamSchema,
  WebhookSchema,
} from '../schemas.ts';

export interface WebhookSettings {
  /** WEBHOOK_ALLOW_PRIVATE: accept private and loopback targets. */
  allowPrivate: boolean;
}

/** How many deliveries GET /webhooks/{id}/deliveries shows, newest first. */
const RECENT_DELIVERIES = 50;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const presentWebhook = (webhook: WebhookRecord) => ({
  webhookId: webhook.webhookId,
  url: webhook.url,
  events: webhook.events,
  createdAt: new Date(webhook.createdAt).toISOString(),
});

const presentDelivery = (d: DeliveryRecord) => ({
  deliveryId: d.deliveryId,
  type: d.type,
  imageId: d.imageId,
  status: d.status,
  attempts: d.attempts,
  lastResponseStatus: d.lastResponseStatus,
  lastError: d.lastError,
  nextAttemptAt: iso(d.nextAttemptAt),
  createdAt: new Date(d.createdAt).toISOString(),
  updatedAt: new Date(d.updatedAt).toISOString(),
});

/** Webhooks of the calling key's tenant; each one's signing secret is shown once. */
export function webhookRoutes(store: WebhookStore, clock: Clock, settings: WebhookSettings) {
  const app = createRouter<{ Variables: AuthVariables }>();

  app.openapi(
    createRoute({
      method: 'post',
      path: '/webhooks',
      summary: 'Subscribe a URL to image events (Standard Webhooks signed)',
      security,
      request: { body: { ...json(CreateWebhookRequestSchema, 'Target URL and events'), required: true } },
      responses: {
        201: json(CreatedWebhookSchema, 'The new webhook; secret is shown only here'),
        ...errorResponses(
          keyedErrors({
            400: ['VALIDATION_ERROR', 'INVALID_JSON'],
            409: ['WEBHOOK_LIMIT_REACHED'],
            ...JSON_BODY_ERRORS,
          }),
        ),
      },
    }),
    async (c) => {
      const input = c.req.valid('json');
      const problem = webhookUrlProblem(input.url, settings.allowPrivate);
      if (problem) throw new ValidationError(`url: ${problem}`);
      const tenant = c.get('apiKey').tenant;
      // Every webhook is a POST per image event from our servers: without a cap, one key
      // could turn each upload into thousands of requests at someone else's host.
      if ((await store.list(tenant)).length >= MAX_WEBHOOKS_PER_TENANT)
        throw new ConflictError(
          `webhooks: this key already has ${MAX_WEBHOOKS_PER_TENANT}, the most it may have; delete one first`,
          'WEBHOOK_LIMIT_REACHED',
        );
      const webhook = await store.create({
        tenant,
        url: input.url,
        events: input.events,
        createdAt: clock.now(),
      });
      return c.json({ ...presentWebhook(webhook), secret: webhook.secret }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/webhooks',
      summary: "List this key's webhooks; secrets are never returned",
      security,
      responses: {
        200: json(z.object({ webhooks: z.array(WebhookSchema) }), 'Webhooks'),
        ...errorResponses(keyedErrors({})),
      },
    }),
    async (c) => c.json({ webhooks: (await store.list(c.get('apiKey').tenant)).map(presentWebhook) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/webhooks/{webhookId}',
      summary: 'Delete a webhook; its pending deliveries are dropped',
      security,
      request: { params: WebhookIdParamSchema },
      responses: {
        200: json(z.object({ message: z.string(), webhookId: z.string() }), 'Deleted'),
        ...errorResponses(keyedErrors({ 400: ['VALIDATION_ERROR'], 404: ['NOT_FOUND'] })),
      },
    }),
    async (c) => {
      const { webhookId } = c.req.valid('param');
      if (!(await store.delete(c.get('apiKey').tenant, webhookId)))
        throw new NotFoundError(`Webhook ${webhookId} not found`);
      return c.json({ message: 'Webhook deleted', webhookId }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/webhooks/{webhookId}/deliveries',
      summary: `The webhook's latest ${RECENT_DELIVERIES} deliveries, newest first`,
      security,
      request: { params: WebhookIdParamSchema },
      responses: {
        200: json(z.object({ deliveries: z.array(WebhookDeliverySchema) }), 'Deliveries'),
        ...errorResponses(keyedErrors({ 400: ['VALIDATION_ERROR'], 404: ['NOT_FOUND'] })),
      },
    }),
    async (c) => {
      const { webhookId } = c.req.valid('param');
      const webhook = await store.get(c.get('apiKey').tenant, webhookId);
      if (!webhook) throw new NotFoundError(`Webhook ${webhookId} not found`);
      const deliveries = await store.deliveries(webhookId, RECENT_DELIVERIES);
      return c.json({ deliveries: deliveries.map(presentDelivery) }, 200);
    },
  );

  return app;
}
