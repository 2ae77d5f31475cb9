import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { handle } from 'hono/aws-lambda';
import { pino } from 'pino';
import { createAwsHome } from '../aws/aws-home.ts';
import { loadAwsConfig } from '../aws/config.ts';
import { createApp } from '../http/app.ts';
import { gatewayIdentity } from '../http/gateway-auth.ts';
import { ResponseCache } from '../http/response-cache.ts';
import { swaggerUiDir } from '../local/docs-assets.ts';
import type { KeyStore } from '../ports/key-store.ts';
import { createObservability } from './observability.ts';

/**
 * Swagger UI's files: beside the bundle (scripts/bundle-lambdas.mjs copies them into the admin
 * function's folder), or swagger-ui-dist in node_modules when running from the sources
 * (`npm run start:aws-local`, tests). Undefined, and no /docs, if neither is there.
 */
function docsAssetsDir(): string | undefined {
  for (const candidate of ['./swagger-ui', '../swagger-ui']) {
    const dir = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(dir)) return dir;
  }
  try {
    return swaggerUiDir();
  } catch {
    return undefined;
  }
}

export type ApiHandler = (event: APIGatewayProxyEvent, context?: Context) => Promise<APIGatewayProxyResult>;

/**
 * One API function: the same Hono app as the local server, behind API Gateway's REST proxy
 * integration. Each of the six API functions is this with its own name (its logs, metrics
 * and traces say which); the template routes only that function's paths to it. Everything
 * is built at init, outside the handler, so a warm container reuses clients and the app.
 */
export function apiHandler(functionName: string, options: { docs?: boolean } = {}): ApiHandler {
  const config = loadAwsConfig(process.env);
  const observability = createObservability(functionName);
  const { logger, tracer } = observability;
  const home = createAwsHome(config, (client) => tracer.captureAWSv3Client(client));
  // The keys API's store is built when an admin route first needs it (it needs USAGE_PLAN_ID).
  const keys: KeyStore = {
    create: async (input) => (await home.keys()).create(input),
    get: async (keyId) => (await home.keys()).get(keyId),
    list: async () => (await home.keys()).list(),
    revoke: async (keyId, now) => (await home.keys()).revoke(keyId, now),
  };
  let publicUrl = process.env.PUBLIC_URL ?? '';
  const app = createApp({
    core: home.core,
    keys,
    authenticate: gatewayIdentity(config.ADMIN_API_KEY_ID, home.keyDefaults),
    // Records change in other functions, which cannot tell this one: nothing is cached.
    readCache: new ResponseCache(undefined, 0),
    keyDefaults: home.keyDefaults,
    // Served by the admin function (template.yaml routes /webhooks there); sent by the webhook function.
    webhooks: { store: home.webhookStore, settings: { allowPrivate: config.WEBHOOK_ALLOW_PRIVATE } },
    publicUrl: () => publicUrl,
    corsOrigins: config.CORS_ORIGINS,
    docsAssetsDir: options.docs ? docsAssetsDir() : undefined,
    // The app's own error lines (500s), JSON on stdout like the Powertools logger's, with the
    // level as a word and an ISO time: Lambda's JSON log filter (the template's LogLevel)
    // reads `level`, and would treat pino's numeric 50 as INFO and drop it at WARN.
    logger: pino({
      level: config.LOG_LEVEL,
      base: { function: functionName },
      formatters: { level: (label) => ({ level: label.toUpperCase() }) },
      timestamp: pino.stdTimeFunctions.isoTime,
    }),
  });
  const fetchHandler = handle(app);

  return (event, context) =>
    observability.invoke(context, async () => {
      const started = performance.now();
      // Where clients reach the API: a custom domain (PUBLIC_URL), or the stage's own URL.
      if (!process.env.PUBLIC_URL)
        publicUrl = `https://${event.requestContext.domainName}/${event.requestContext.stage}`;
      // biome-ignore lint/suspicious/noExplicitAny: Hono's handler accepts every event version; ours is v1.
      const result = (await fetchHandler(event as any, context as any)) as APIGatewayProxyResult;
      logger.info('request', {
        method: event.httpMethod,
        resource: event.resource,
        status: result.statusCode,
        apiKeyId: event.requestContext.identity?.apiKeyId ?? null,
        ms: +(performance.now() - started).toFixed(1),
      });
      return result;
    });
}
