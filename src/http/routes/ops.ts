import { createRoute, z } from '@hono/zod-openapi';
import type { Env, MiddlewareHandler } from 'hono';
import { errorResponses, json, keyedErrors, security, unkeyedErrors } from '../openapi.ts';
import { createRouter } from '../router.ts';

/** One readiness check: `ok`, or a word saying what is wrong, with details. */
export interface ReadinessCheck {
  status: string;
  [detail: string]: unknown;
}

/** What a home reports to /ready: each check; the server is ready when all are `ok`. */
export type Readiness = () => Promise<Record<string, ReadinessCheck>>;

/** A metrics registry's exposition: Prometheus text and its content type. */
export interface MetricsExposition {
  contentType: string;
  render(): Promise<string>;
}

/** The operator's routes a home may mount: readiness and metrics (the local home has both). */
export interface OpsRoutes {
  readiness: Readiness;
  metrics?: MetricsExposition;
  /** Whether /metrics answers without the admin key (METRICS_PUBLIC). */
  metricsPublic?: boolean;
}

const Checks = z
  .record(z.string(), z.looseObject({ status: z.string() }))
  .openapi({ example: { database: { status: 'ok' }, dataDir: { status: 'ok' }, disk: { status: 'ok' } } });

const readyRoute = createRoute({
  method: 'get',
  path: '/ready',
  summary: 'Readiness: whether this server should be sent traffic (no x-api-key)',
  description:
    'Unlike /health (liveness), 503 when the server cannot do its work: the database does not answer, DATA_DIR is not writable, free disk is below MIN_FREE_DISK_MB, or it is draining after SIGTERM. `failing` names the checks that are not ok.',
  responses: {
    200: json(z.object({ status: z.literal('ready'), checks: Checks }), 'Ready for traffic'),
    503: json(
      z.object({ status: z.literal('not-ready'), checks: Checks, failing: z.array(z.string()).min(1) }),
      'Not ready: `failing` names the checks that are not ok',
    ),
    ...errorResponses(unkeyedErrors({})),
  },
});

const metricsRoute = (isPublic: boolean) =>
  createRoute({
    method: 'get',
    path: '/metrics',
    summary: isPublic
      ? 'Prometheus metrics (METRICS_PUBLIC: no x-api-key)'
      : 'Prometheus metrics (admin key, unless METRICS_PUBLIC=true)',
    description:
      'Prometheus text exposition: request latency by route pattern and status, jobs by outcome, processing step durations, queue and dead-letter depth, and Node process metrics.',
    ...(isPublic ? {} : { security }),
    responses: {
      200: {
        description: 'Prometheus text format 0.0.4',
        content: { 'text/plain': { schema: z.string() } },
      },
      ...errorResponses(isPublic ? unkeyedErrors({}) : keyedErrors({}, { admin: true })),
    },
  });

/**
 * /ready and /metrics. `guard` is the admin check /metrics sits behind unless it is public:
 * its numbers are the server's volumes (uploads, failures, queue sizes), which are the
 * owner's business, as the dead-letter list is.
 */
export function opsRoutes<E extends Env>(ops: OpsRoutes, guard: MiddlewareHandler<E>) {
  const app = createRouter<E>();
  app.openapi(readyRoute, async (c) => {
    const checks = await ops.readiness();
    const failing = Object.keys(checks).filter((name) => checks[name]?.status !== 'ok');
    if (failing.length === 0) return c.json({ status: 'ready' as const, checks }, 200);
    return c.json({ status: 'not-ready' as const, checks, failing }, 503);
  });
  const { metrics } = ops;
  if (metrics) {
    if (!ops.metricsPublic) app.use('/metrics', guard);
    app.openapi(metricsRoute(ops.metricsPublic ?? false), async (c) => {
      const body = await metrics.render();
      c.header('Cache-Control', 'no-store');
      return c.text(body, 200, { 'Content-Type': metrics.contentType });
    });
  }
  return app;
}
