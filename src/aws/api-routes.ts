/** The API functions (five, plus the admin one), by name; process, cleanup and webhook are not behind the API. */
export const API_FUNCTIONS = ['upload', 'list', 'get', 'delete', 'status', 'admin'] as const;
export type ApiFunction = (typeof API_FUNCTIONS)[number];

export interface ApiRoute {
  fn: ApiFunction;
  method: 'GET' | 'POST' | 'DELETE';
  /** API Gateway's resource path: `{name}` is a path parameter. */
  resource: string;
  apiKeyRequired: boolean;
}

/**
 * Which function serves which route on API Gateway: template.yaml's Api events say the same
 * (test/template.test.ts checks it), and `npm run start:aws-local` routes by this table.
 */
export const API_ROUTES: readonly ApiRoute[] = [
  { fn: 'upload', method: 'POST', resource: '/images/upload', apiKeyRequired: true },
  { fn: 'list', method: 'GET', resource: '/images', apiKeyRequired: true },
  { fn: 'get', method: 'GET', resource: '/images/{imageId}', apiKeyRequired: true },
  { fn: 'delete', method: 'DELETE', resource: '/images/{imageId}', apiKeyRequired: true },
  { fn: 'status', method: 'GET', resource: '/images/{imageId}/status', apiKeyRequired: true },
  { fn: 'admin', method: 'GET', resource: '/keys', apiKeyRequired: true },
  { fn: 'admin', method: 'POST', resource: '/keys', apiKeyRequired: true },
  { fn: 'admin', method: 'DELETE', resource: '/keys/{keyId}', apiKeyRequired: true },
  { fn: 'admin', method: 'GET', resource: '/jobs/dead-letters', apiKeyRequired: true },
  { fn: 'admin', method: 'POST', resource: '/jobs/dead-letters/redrive', apiKeyRequired: true },
  // Webhooks: the admin function serves them (any tenant's key, not only the admin's): small
  // JSON routes on the table, which did not earn a function of their own.
  { fn: 'admin', method: 'POST', resource: '/webhooks', apiKeyRequired: true },
  { fn: 'admin', method: 'GET', resource: '/webhooks', apiKeyRequired: true },
  { fn: 'admin', method: 'DELETE', resource: '/webhooks/{webhookId}', apiKeyRequired: true },
  { fn: 'admin', method: 'GET', resource: '/webhooks/{webhookId}/deliveries', apiKeyRequired: true },
  { fn: 'admin', method: 'GET', resource: '/health', apiKeyRequired: false },
  { fn: 'admin', method: 'GET', resource: '/openapi.json', apiKeyRequired: false },
  // The API reference: the page and each of its files, by name (src/http/routes/docs.ts).
  { fn: 'admin', method: 'GET', resource: '/docs', apiKeyRequired: false },
  ...['swagger-ui.css', 'swagger-ui-bundle.js', 'init.js'].map(
    (file): ApiRoute => ({ fn: 'admin', method: 'GET', resource: `/docs/${file}`, apiKeyRequired: false }),
  ),
];
