/** API Gateway's own refusals, answered in our error shape (template.yaml's GatewayResponses). */
export const GATEWAY_RESPONSES = {
  API_KEY: { statusCode: 403, code: 'INVALID_API_KEY', message: 'x-api-key: missing or not valid' },
  THROTTLED: { statusCode: 429, code: 'RATE_LIMITED', message: 'Rate limit exceeded' },
  QUOTA_EXCEEDED: { statusCode: 429, code: 'QUOTA_EXCEEDED', message: 'Daily quota used up' },
  MISSING_AUTHENTICATION_TOKEN: { statusCode: 404, code: 'NOT_FOUND', message: 'No such route' },
  REQUEST_TOO_LARGE: { statusCode: 413, code: 'PAYLOAD_TOO_LARGE', message: 'Request too large' },
  DEFAULT_4XX: { statusCode: 400, code: 'BAD_REQUEST', message: 'Bad request' },
  DEFAULT_5XX: { statusCode: 500, code: 'INTERNAL_ERROR', message: 'Internal error' },
} as const;
