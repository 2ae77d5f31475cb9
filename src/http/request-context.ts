import { randomUUID } from 'node:crypto';
import type { HttpBindings } from '@hono/node-server';
import type { Context, MiddlewareHandler } from 'hono';
import type { RequestIdVariables } from 'hono/request-id';
import { matchedRoutes } from 'hono/route';
import type { Logger } from 'pino';

/** What every request carries on its Hono context (`requestId` as hono/request-id names it). */
export type RequestVariables = RequestIdVariables & {
  /** The image the path names, or the one the request created. */
  imageId?: string;
  /** The server's logger; requestLog() adds the request's fields on first use. */
  baseLog: Logger;
  log?: Logger;
};

/** One finished request, for a latency histogram: `route` is the pattern, never the raw path. */
export interface RequestSample {
  method: string;
  route: string;
  status: number;
  seconds: number;
}

export interface RequestContextOptions {
  logger: Logger;
  /** The one line per request: `info` where nothing else logs requests, `debug` where something does. */
  accessLogLevel: 'info' | 'debug';
  observe?: (sample: RequestSample) => void;
  /** Where the home traces (local, OTEL_EXPORTER_OTLP_ENDPOINT set): a span per request. */
  tracer?: RequestTracer;
}

/** Spans for requests, with no tracing library named: the local home passes OpenTelemetry's. */
export interface RequestTracer {
  /** Starts the request's span, continuing the caller's trace if it sent a `traceparent`. */
  start(method: string, path: string, header: (name: string) => string | undefined): RequestSpan;
}

export interface RequestSpan {
  /** Runs the handlers inside the span, so that what they start (a job) can join its trace. */
  run(handlers: () => Promise<void>): Promise<void>;
  /** Once answered: what only the end knows (the route that took it, the image it made). */
  end(answer: { route: string; status: number; requestId: string; imageId: string | undefined }): void;
}

/** A caller's own id is kept if it is a plain token: it goes into every log line and a header. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;
const IMAGE_IN_PATH =
  /^\/(?:images|uploads|files)\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?:\/|$)/i;
/** Polled by load balancers and Prometheus every few seconds: their lines are debug only. */
const POLLED_ROUTES = new Set(['/health', '/ready', '/metrics']);

/**
 * Gives each request an id (the caller's `x-request-id` if it is a token of at most 128
 * `[A-Za-z0-9._-]`, else a new UUID), echoed in `x-request-id` on every answer, errors
 * included; a logger carrying it (requestLog); and, once answered, one log line and one
 * latency sample labelled by route pattern. The path is logged without its query string:
 * that carries URL signatures.
 *
 * Not hono/request-id: it sets the header with c.header() before the handler runs, which
 * gives every answer a Headers object to build and merge (in noisy autocannon runs on 2
 * shared cores, GET /images/{id} fell from ~18k to ~11k requests a second with it). On
 * Node the header goes straight to the outgoing message, which Node merges when the answer
 * is written; elsewhere (Lambda, app.request) through c.header(). Likewise no pino child
 * per request: the request line carries its fields inline, and a child is made only for
 * handlers that log (requestLog).
 */
export function requestContext(
  options: RequestContextOptions,
): MiddlewareHandler<{ Variables: RequestVariables; Bindings: Partial<HttpBindings> | undefined }> {
  const { logger, accessLogLevel, observe, tracer } = options;
  return async (c, next) => {
    const started = performance.now();
    const span = tracer?.start(c.req.method, c.req.path, (name) => c.req.header(name));
    const offered = c.req.header('x-request-id');
    const reqId = offered && SANE_REQUEST_ID.test(offered) ? offered : randomUUID();
    c.set('requestId', reqId);
    c.set('baseLog', logger);
    const pathImage = IMAGE_IN_PATH.exec(c.req.path)?.[1]?.toLowerCase();
    if (pathImage) c.set('imageId', pathImage);
    const outgoing = c.env?.outgoing;
    if (outgoing && !outgoing.headersSent) outgoing.setHeader('x-request-id', reqId);
    else c.header('x-request-id', reqId);
    if (span) await span.run(next);
    else await next();

    const seconds = (performance.now() - started) / 1000;
    const route = routeOf(c);
    const status = c.res.status;
    observe?.({ method: c.req.method, route, status, seconds });
    const imageId = c.get('imageId');
    span?.end({ route, status, requestId: reqId, imageId });
    const level = POLLED_ROUTES.has(route) ? 'debug' : accessLogLevel;
    if (!logger.isLevelEnabled(level)) return;
    logger[level](
      {
        reqId,
        ...(imageId ? { imageId } : {}),
        method: c.req.method,
        route,
        path: c.req.path,
        status,
        ms: +(seconds * 1000).toFixed(1),
      },
      'request',
    );
  };
}

/**
 * The pattern of the route the request was for (`/images/:imageId`): the one whose handler
 * answered, or, when middleware answered first (a 401 from authentication), the last route
 * matched for this method. `unmatched` for paths no route takes, so the label set stays small.
 */
export function routeOf(c: Context): string {
  const routes = matchedRoutes(c);
  const answered = routes[c.req.routeIndex];
  if (answered && answered.method !== 'ALL') return answered.path;
  for (let i = routes.length - 1; i >= 0; i--) {
    const route = routes[i];
    if (route && route.method !== 'ALL') return route.path;
  }
  return 'unmatched';
}

/**
 * The request's logger: `reqId`, and `imageId` where the request has one, on every line.
 * `fallback` where the middleware did not run (it always does in createApp).
 */
export function requestLog(c: Context, fallback: Logger): Logger {
  const made = c.get('log') as Logger | undefined;
  if (made) return made;
  const base = c.get('baseLog') as Logger | undefined;
  const reqId = c.get('requestId') as string | undefined;
  if (!base || !reqId) return fallback;
  const imageId = c.get('imageId') as string | undefined;
  const log = base.child(imageId ? { reqId, imageId } : { reqId });
  c.set('log', log);
  return log;
}
