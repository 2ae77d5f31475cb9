import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { ApiFunction, ApiRoute } from '../aws/api-routes.ts';
import { GATEWAY_RESPONSES, type GatewayResponseType } from '../aws/gateway-responses.ts';
import type { ApiHandler } from '../lambda/api-handler.ts';
import type { GatewayKeys } from './gateway-keys.ts';
import { lambdaContext } from './lambda-context.ts';

export interface GatewayOptions {
  routes: readonly ApiRoute[];
  handlers: Record<ApiFunction, ApiHandler>;
  keys: GatewayKeys;
  stage: string;
  /** Lambda's timeout of the API functions; API Gateway itself gives up at 29 s. */
  timeoutMs: number;
  log: (line: string) => void;
}

/** API Gateway's largest request payload. */
const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;
const INTEGRATION_TIMEOUT_MS = 29_000;
const TEXT_TYPES = /^(application\/(json|xml|x-www-form-urlencoded)|text\/)/i;

/**
 * API Gateway's REST API in front of the API functions, as its proxy integration behaves:
 * match the resource (literal segments before parameters) and method, check x-api-key and
 * the key's usage plan, turn the request into a v1 proxy event with the key's id in
 * `requestContext.identity.apiKeyId`, invoke the function and write back what it returns.
 * Its own refusals answer with the template's gateway responses.
 */
export function createGateway(options: GatewayOptions): Server {
  const resources = [...new Set(options.routes.map((route) => route.resource))]
    .map((resource) => ({ resource, pattern: patternOf(resource) }))
    // API Gateway prefers the most specific resource: literal segments win over {params}.
    .sort((a, b) => specificity(b.resource) - specificity(a.resource));

  return createServer((req, res) => {
    serve(req, res).catch((error) => {
      options.log(`gateway: ${(error as Error).stack ?? error}`);
      if (!res.headersSent) refuse(res, 'DEFAULT_5XX', 500);
      else res.destroy();
    });
  });

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://gateway');
    const method = req.method ?? 'GET';
    const body = await readBody(req);
    if (body === null) return refuse(res, 'REQUEST_TOO_LARGE');

    const match = resources
      .map(({ resource, pattern }) => ({ resource, params: pattern.exec(url.pathname) }))
      .find(({ params }) => params !== null);
    const onResource = options.routes.filter((r) => r.resource === match?.resource);
    // As the template: a keyed path's OPTIONS (a CORS preflight) goes, without a key, to a
    // function of that path, whose app answers it from CORS_ORIGINS.
    const route =
      method === 'OPTIONS'
        ? onResource.find((r) => r.apiKeyRequired)
        : onResource.find((r) => r.method === method);
    if (!match?.params || !route) return refuse(res, 'MISSING_AUTHENTICATION_TOKEN');

    const presented = header(req, 'x-api-key');
    let apiKeyId: string | null = null;
    if (route.apiKeyRequired && method !== 'OPTIONS') {
      const checked = await options.keys.check(presented);
      if (!checked.ok) return refuse(res, checked.refusal);
      apiKeyId = checked.keyId;
    }

    const event = proxyEvent(req, url, route, method, match.params.groups ?? {}, body, {
      stage: options.stage,
      apiKey: presented ?? null,
      apiKeyId,
    });
    const timeoutMs = Math.min(options.timeoutMs, INTEGRATION_TIMEOUT_MS);
    const context = lambdaContext(route.fn, timeoutMs, 1024);
    let timer: NodeJS.Timeout | undefined;
    const result = await Promise.race([
      options.handlers[route.fn](event, context),
      new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
    if (result === 'timeout') return refuse(res, 'DEFAULT_5XX', 504);
    respond(res, result, event.requestContext.requestId);
  }
}

function refuse(res: ServerResponse, type: GatewayResponseType, statusCode?: number): void {
  const { statusCode: status, code, message } = GATEWAY_RESPONSES[type];
  const body = JSON.stringify({ error: { code, message } });
  res.writeHead(statusCode ?? status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'access-control-allow-origin': '*',
    'x-amzn-errortype': type,
  });
  res.end(body);
}

function respond(res: ServerResponse, result: APIGatewayProxyResult, requestId: string): void {
  const body = result.isBase64Encoded ? Buffer.from(result.body, 'base64') : Buffer.from(result.body ?? '');
  const headers: Record<string, string | string[]> = { 'x-amzn-requestid': requestId };
  for (const [name, value] of Object.entries(result.headers ?? {}))
    headers[name.toLowerCase()] = String(value);
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {}))
    headers[name.toLowerCase()] = values.map(String);
  headers['content-length'] = String(body.length);
  res.writeHead(result.statusCode, headers);
  res.end(body);
}

/** `/images/{imageId}` → a regex with a named group per parameter; a parameter is one segment. */
function patternOf(resource: string): RegExp {
  const source = resource
    .split('/')
    .map((segment) => {
      const param = /^\{(\w+)\}$/.exec(segment);
      return param ? `(?<${param[1]}>[^/]+)` : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return new RegExp(`^${source}$`);
}

function specificity(resource: string): number {
  return resource.split('/').reduce((score, segment) => score * 2 + (segment.startsWith('{') ? 0 : 1), 1);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function readBody(req: IncomingMessage): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_PAYLOAD_BYTES) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** The REST API (v1) proxy event API Gateway builds for a request. */
function proxyEvent(
  req: IncomingMessage,
  url: URL,
  route: ApiRoute,
  method: string,
  pathParameters: Record<string, string>,
  body: Buffer,
  gateway: { stage: string; apiKey: string | null; apiKeyId: string | null },
): APIGatewayProxyEvent {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i] as string;
    const value = req.rawHeaders[i + 1] as string;
    headers[name] = value;
    multiValueHeaders[name] = [...(multiValueHeaders[name] ?? []), value];
  }
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  for (const [name, value] of url.searchParams) {
    query[name] = value;
    multiQuery[name] = [...(multiQuery[name] ?? []), value];
  }
  const hasQuery = Object.keys(query).length > 0;
  const params = Object.fromEntries(
    Object.entries(pathParameters).map(([name, value]) => [name, decodeURIComponent(value)]),
  );
  const text = TEXT_TYPES.test(header(req, 'content-type') ?? '');
  return {
    resource: route.resource,
    path: url.pathname,
    httpMethod: method,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    pathParameters: Object.keys(params).length > 0 ? params : null,
    stageVariables: null,
    body: body.length === 0 ? null : text ? body.toString('utf8') : body.toString('base64'),
    isBase64Encoded: body.length > 0 && !text,
    requestContext: {
      accountId: '123456789012',
      apiId: 'local',
      authorizer: undefined,
      domainName: header(req, 'host') ?? 'localhost',
      httpMethod: method,
      path: `/${gateway.stage}${url.pathname}`,
      protocol: `HTTP/${req.httpVersion}`,
      requestId: randomUUID(),
      requestTimeEpoch: Date.now(),
      resourceId: route.resource,
      resourcePath: route.resource,
      stage: gateway.stage,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: gateway.apiKey,
        apiKeyId: gateway.apiKeyId,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        user: null,
        userAgent: header(req, 'user-agent') ?? null,
        userArn: null,
      },
    },
  };
}
