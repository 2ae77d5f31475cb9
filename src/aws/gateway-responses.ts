/**
 * API Gateway's own refusals, answered in our error shape `{"error": {"code", "message"}}`.
 *
 * Why this module: on AWS some requests never reach a function. API Gateway refuses them
 * itself (no key, throttled, no such route…) and by default answers `{"message": "Forbidden"}`,
 * which no client of ours can parse. template.yaml's GatewayResponses rewrite those answers
 * from this table (test/template.test.ts checks that they match), and the local API Gateway
 * stand-in answers with the same table, so a client sees the same JSON from both.
 *
 * Keys are API Gateway's gateway response types, spelt as its API and CloudFormation spell
 * them. The key type is `INVALID_API_KEY` (there is no `API_KEY` type).
 *
 * A missing x-api-key gets INVALID_API_KEY, the same as a wrong one. AWS's docs say that
 * when a method requires a key and the request has no matching key, API Gateway "throws an
 * InvalidKeyParameter exception" and answers 403 Forbidden (api-gateway-api-key-source.html).
 * LocalStack's API Gateway, whose tests are checked against AWS, raises INVALID_API_KEY when
 * the header is missing and when the key is wrong. MISSING_AUTHENTICATION_TOKEN is what a
 * request to a route or method the API does not have gets, with or without a key, which is
 * why it becomes our 404 NOT_FOUND. This has not been tried against a live API here.
 *
 * DEFAULT_4XX and DEFAULT_5XX are the fallbacks for every type not listed (e.g. 415
 * UNSUPPORTED_MEDIA_TYPE, 504 INTEGRATION_TIMEOUT). The template sets only their body:
 * its message is API Gateway's own `$context.error.messageString`, and it sets no status
 * code, because a status on DEFAULT_4XX would replace the status of every 4XX type it
 * covers (a 415 would become a 400). `statusCode` and `message` below are what a stand-in
 * with no more specific answer sends for them.
 */
export interface GatewayResponse {
  statusCode: number;
  code: string;
  message: string;
}

export const GATEWAY_RESPONSES = {
  INVALID_API_KEY: { statusCode: 403, code: 'INVALID_API_KEY', message: 'x-api-key: missing or not valid' },
  THROTTLED: { statusCode: 429, code: 'RATE_LIMITED', message: 'Rate limit exceeded' },
  QUOTA_EXCEEDED: { statusCode: 429, code: 'QUOTA_EXCEEDED', message: 'Daily quota used up' },
  MISSING_AUTHENTICATION_TOKEN: { statusCode: 404, code: 'NOT_FOUND', message: 'No such route' },
  REQUEST_TOO_LARGE: { statusCode: 413, code: 'PAYLOAD_TOO_LARGE', message: 'Request too large' },
  DEFAULT_4XX: { statusCode: 400, code: 'BAD_REQUEST', message: 'Bad request' },
  DEFAULT_5XX: { statusCode: 500, code: 'INTERNAL_ERROR', message: 'Internal error' },
} as const satisfies Record<string, GatewayResponse>;

export type GatewayResponseType = keyof typeof GATEWAY_RESPONSES;

/** The types whose answer the template takes from API Gateway (message and status), not from this table. */
export const GATEWAY_FALLBACK_TYPES: readonly GatewayResponseType[] = ['DEFAULT_4XX', 'DEFAULT_5XX'];
