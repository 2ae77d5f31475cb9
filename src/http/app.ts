import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { every } from 'hono/combine';
import { cors } from 'hono/cors';
import { HTTPException } from 'hono/http-exception';
import type { Logger } from 'pino';
import type { HmacSignedUrls } from '../adapters/local/hmac-signed-urls.ts';
import type { CoreDeps } from '../core/deps.ts';
import {
  AppError,
  NotFoundError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../core/errors.ts';
import type { KeyStore } from '../ports/key-store.ts';
import type { WebhookStore } from '../ports/webhooks.ts';
import { API_VERSION } from '../version.ts';
import { type AuthVariables, requireAdmin } from './auth.ts';
import { errorResponse, handleError } from './errors.ts';
import { AllowedMethods } from './method-not-allowed.ts';
import { json } from './openapi.ts';
import {
  type RequestSample,
  type RequestTracer,
  type RequestVariables,
  requestContext,
} from './request-context.ts';
import type { ResponseCache } from './response-cache.ts';
import { createRouter } from './router.ts';
import { docsRoutes } from './routes/docs.ts';
import { fileRoutes } from './routes/files.ts';
import { galleryRoutes } from './routes/gallery.ts';
import { imageRoutes } from './routes/images.ts';
import { jobRoutes } from './routes/jobs.ts';
import { type KeyDefaults, keyRoutes } from './routes/keys.ts';
import { type OpsRoutes, opsRoutes } from './routes/ops.ts';
import { documentRawRoutes } from './routes/signed-url-docs.ts';
import { type WebhookSettings, webhookRoutes } from './routes/webhooks.ts';

export interface AppDeps {
  core: CoreDeps;
  /** The admin routes' keys: SQLite locally, API Gateway's on AWS. */
  keys: KeyStore;
  /**
   * Sets the caller's key on the context or refuses the request: locally it checks x-api-key
   * and applies the key's limits (requireApiKey); on AWS, API Gateway has done both and this
   * reads the key id the gateway passed (gatewayIdentity).
   */
  authenticate: MiddlewareHandler<{ Variables: AuthVariables }>;
  /** Image and list bodies reused until the image changes; see ResponseCache. */
  readCache: ResponseCache;
  keyDefaults: KeyDefaults;
  /** Webhook subscriptions, where the home sends them (local; not built on AWS yet). */
  webhooks?: { store: WebhookStore; settings: WebhookSettings };
  /** The local home's signer: mounts the /uploads and /files routes its URLs point at. */
  localFiles?: HmacSignedUrls;
  /** Where clients reach this API (PUBLIC_URL, or the address it listens on). */
  publicUrl: () => string;
  /** Origins browsers may call from: `*`, or a list (empty: no CORS headers at all). */
  corsOrigins: '*' | readonly string[];
  logger: Logger;
  /**
   * What /health reports beyond "up", where the home has anything to report (its disk, its
   * log): each check's state; one that is not ok makes the server "degraded".
   */
  healthChecks?: () => Record<string, HealthCheck>;
  /** /ready and /metrics, where the home has them (the local home; AWS has CloudWatch). */
  ops?: OpsRoutes;
  /** swagger-ui-dist's folder: mounts GET /docs, served entirely from it (local home). */
  docsAssetsDir?: string;
  /** The gallery's built bundle: mounts GET / and /gallery/* (local home). */
  galleryAssetsDir?: string;
  /**
   * The level of the one line logged per request: `info` where nothing else logs requests
   * (the local home), `debug` where the platform does (API Gateway and Lambda on AWS).
   */
  accessLogLevel?: 'info' | 'debug';
  /** Called once per answered request, e.g. for a latency histogram. */
  observeRequest?: (sample: RequestSample) => void;
  /** A span per request, where the home traces. */
  tracer?: RequestTracer;
}

export type AppVariables = AuthVariables & RequestVariables;

export interface HealthCheck {
  status: string;
  [detail: string]: unknown;
}

const HealthSchema = z.object({
  status: z.enum(['ok', 'degraded']),
  checks: z
    .record(z.string(), z.looseObject({ status: z.string() }))
    .optional()
    .openapi({ example: { storage: { status: 'ok', freeMb: 51200, minFreeMb: 100 } } }),
});

/** JSON request bodies here are a few hundred bytes; anything near this is hostile. */
const MAX_JSON_BODY = 64 * 1024;
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The whole HTTP API as one Hono app. The Node server and (later) the Lambda handlers only
 * wrap `app.fetch`; nothing here knows which runtime it is in.
 */
export function createApp(deps: AppDeps) {
  const app = createRouter<{ Variables: AppVariables }>();
  const onError = handleError(deps.logger, () => deps.core.storage?.reportFull());

  const methods = new AllowedMethods(() => app.routes);

  app.onError((error, c) => {
    // A route that exists with other methods refused this one as a bad id (GET /images/upload
    // reaching GET /images/{imageId}): say which methods the path takes instead.
    if (error instanceof AppError && (error.status === 400 || error.status === 404)) {
      const refusal = methods.refuse(c.req.method, c.req.path);
      if (refusal) return errorResponse(c, refusal);
    }
    if (error instanceof HTTPException && !(error instanceof AppError)) {
      // Hono's own validators throw these: 415 for a body that is not declared JSON, 400 for
      // one that does not parse.
      if (error.status === 415)
        return errorResponse(
          c,
          new UnsupportedMediaTypeError(
            `Content-Type: expected application/json but received ${c.req.header('content-type') ?? 'none'}`,
          ),
        );
      return errorResponse(c, new ValidationError(`body: ${error.message}`, 'INVALID_JSON'));
    }
    return onError(error, c);
  });
  app.notFound((c) =>
    errorResponse(
      c,
      methods.refuse(c.req.method, c.req.path) ??
        new NotFoundError(`No route for ${c.req.method} ${c.req.path}`),
    ),
  );

  // First, so that every answer (CORS preflights, 404s, errors) carries x-request-id.
  app.use(
    requestContext({
      logger: deps.logger,
      accessLogLevel: deps.accessLogLevel ?? 'debug',
      observe: deps.observeRequest,
      tracer: deps.tracer,
    }),
  );
  if (deps.corsOrigins.length > 0) app.use(corsFor(deps.corsOrigins));

  app.openapi(
    createRoute({
      method: 'get',
      path: '/health',
      summary: 'Liveness and what needs attention (no x-api-key)',
      description:
        'Always 200 while the server answers. `degraded` names the checks that are not ok: storage `low` (uploads are refused with 507) or `full` (processing waits for space), or a log that is dropping lines.',
      responses: { 200: json(HealthSchema, 'The server is up') },
    }),
    (c) => {
      const checks = deps.healthChecks?.();
      if (!checks) return c.json({ status: 'ok' as const }, 200);
      const degraded = Object.values(checks).some((check) => check.status !== 'ok');
      return c.json({ status: degraded ? ('degraded' as const) : ('ok' as const), checks }, 200);
    },
  );

  const limitBody = bodyLimit({
    maxSize: MAX_JSON_BODY,
    onError: (c) =>
      errorResponse(c, new PayloadTooLargeError(`body: JSON bodies are limited to ${MAX_JSON_BODY} bytes`)),
  });
  // Only methods that carry a body: asking a GET for its body makes @hono/node-server build
  // a full web Request (~8% of a GET /images/{id} in a CPU profile) to answer "none".
  const limitJson: MiddlewareHandler = (c, next) =>
    BODY_METHODS.has(c.req.method) ? limitBody(c, next) : next();
  const auth = deps.authenticate;
  // In Hono '/images/*' also matches '/images'; registering both would charge twice.
  app.use('/images/*', auth, limitJson);
  app.use('/keys/*', auth, requireAdmin('manage API keys'), limitJson);
  app.use('/jobs/*', auth, requireAdmin('manage jobs and dead letters'), limitJson);
  if (deps.webhooks) app.use('/webhooks/*', auth, limitJson);

  app.route('/', imageRoutes(deps.core, deps.readCache));
  app.route('/', keyRoutes(deps.keys, deps.core.clock, deps.keyDefaults));
  app.route('/', jobRoutes(deps.core));
  if (deps.webhooks)
    app.route('/', webhookRoutes(deps.webhooks.store, deps.core.clock, deps.webhooks.settings));
  if (deps.localFiles) app.route('/', fileRoutes(deps.core, deps.localFiles));
  if (deps.ops) app.route('/', opsRoutes(deps.ops, every(auth, requireAdmin('read metrics'))));
  if (deps.docsAssetsDir) app.route('/', docsRoutes(deps.docsAssetsDir, deps.publicUrl));
  if (deps.galleryAssetsDir) app.route('/', galleryRoutes(deps.galleryAssetsDir, deps.publicUrl));

  app.openAPIRegistry.registerComponent('securitySchemes', 'apiKey', {
    type: 'apiKey',
    in: 'header',
    name: 'x-api-key',
  });
  if (deps.localFiles) documentRawRoutes(app.openAPIRegistry);
  app.doc31('/openapi.json', () => ({
    openapi: '3.1.0',
    info: {
      title: 'serverless-image-api',
      version: API_VERSION,
      description: 'Image upload, processing and AI analysis. Errors are {"error": {"code", "message"}}.',
    },
    servers: [{ url: deps.publicUrl() }],
  }));

  return app;
}

/**
 * CORS for browser apps on other origins. Keys travel in the x-api-key header, never in a
 * cookie, so allowing any origin lends a page no credentials it did not already have.
 * Preflights are answered here, before authentication (browsers send them without the key);
 * the signed upload and download URLs get the same headers, since a browser PUTs the bytes.
 */
function corsFor(origins: '*' | readonly string[]): MiddlewareHandler {
  const preflight = cors({
    origin: origins === '*' ? '*' : [...origins],
    allowMethods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'],
    allowHeaders: [
      'x-api-key',
      'content-type',
      'if-none-match',
      'if-modified-since',
      'range',
      'if-range',
      'x-request-id',
    ],
    // Chromium caps a cached preflight at two hours.
    maxAge: 7200,
  });
  const exposed =
    'ETag,Last-Modified,Retry-After,Allow,Accept-Ranges,Content-Range,Content-Length,X-Request-Id';
  return async (c, next) => {
    if (c.req.method === 'OPTIONS') return preflight(c, next);
    // Actual requests: the headers hono/cors would set, but only when a browser sent an
    // Origin, and through c.header(), which keeps them with the handler's own. hono/cors
    // writes to c.res before the handler runs, building a Response per request: that halved
    // GET /images/{id} throughput, and every header costs on that path. Answers that a
    // browser may cache (the files) carry Vary: Origin themselves.
    const origin = c.req.header('origin');
    if (!origin) return next();
    if (origins === '*') c.header('Access-Control-Allow-Origin', '*');
    else {
      c.header('Vary', 'Origin', { append: true });
      if (!origins.includes(origin)) return next();
      c.header('Access-Control-Allow-Origin', origin);
    }
    c.header('Access-Control-Expose-Headers', exposed);
    return next();
  };
}

export type App = ReturnType<typeof createApp>;
