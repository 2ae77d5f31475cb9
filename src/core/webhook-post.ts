import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { guardedLookup, type Resolver, refusedLiteral } from './webhook-target.ts';

export interface AttemptResult {
  /** The receiver's HTTP status, or null when there was no answer. */
  status: number | null;
  error: string | null;
}

export interface WebhookPostOptions {
  /** WEBHOOK_ALLOW_PRIVATE: deliver to private and loopback addresses too. */
  allowPrivate: boolean;
  /** Per attempt, connection to the end of the response headers (default 10 s). */
  timeoutMs?: number;
  resolver?: Resolver;
}

const DEFAULT_TIMEOUT_MS = 10_000;

const MAX_ERROR_LENGTH = 500;

/**
 * POSTs one signed webhook body, as both homes send them: the SSRF rules of webhook-target.ts
 * are applied to the addresses the socket connects to. Never throws. Redirects are not
 * followed (a 3xx is a failed attempt); the response body is not read, only the status.
 */
export function createWebhookPost(options: WebhookPostOptions) {
  const lookup = guardedLookup({ allowPrivate: options.allowPrivate, resolver: options.resolver });
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return (target: string, headers: Record<string, string>, body: string): Promise<AttemptResult> =>
    new Promise((resolve) => {
      let url: URL;
      try {
        url = new URL(target);
      } catch {
        return resolve({ status: null, error: 'invalid URL' });
      }
      // An IP literal is connected to without a lookup: check it here instead.
      const literal = refusedLiteral(url, options.allowPrivate);
      if (literal !== null)
        return resolve({ status: null, error: `${literal} is a non-public address webhooks may not reach` });
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      let settled = false;
      const finish = (result: AttemptResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        resolve({ ...result, error: result.error?.slice(0, MAX_ERROR_LENGTH) ?? null });
      };
      const req = send(
        url,
        {
          method: 'POST',
          lookup,
          headers: {
            ...headers,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'user-agent': 'serverless-image-api-webhooks',
          },
        },
        (res) => {
          // The status is all we need: the body is never read, and a receiver that trickles
          // one forever must not hold the socket.
          res.destroy();
          const status = res.statusCode ?? null;
          finish({
            status,
            error: status !== null && status >= 200 && status < 300 ? null : `HTTP ${status}`,
          });
        },
      );
      const deadline = setTimeout(() => {
        finish({ status: null, error: `no response within ${timeoutMs} ms` });
        req.destroy();
      }, timeoutMs);
      req.on('error', (err) => finish({ status: null, error: err.message }));
      req.end(body);
    });
}

export type WebhookPost = ReturnType<typeof createWebhookPost>;
