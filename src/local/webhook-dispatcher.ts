import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Logger } from 'pino';
import type { DueDelivery, SqliteWebhookStore } from '../adapters/local/sqlite-webhook-store.ts';
import { guardedLookup, type Resolver, refusedLiteral } from '../core/webhook-target.ts';
import { DEFAULT_RETRY_BASE_MS, nextAttemptAt, signWebhook, type WebhookEvent } from '../core/webhooks.ts';
import type { Clock } from '../ports/clock.ts';

export interface WebhookDispatcherOptions {
  store: SqliteWebhookStore;
  clock: Clock;
  logger: Logger;
  /** WEBHOOK_ALLOW_PRIVATE: deliver to private and loopback addresses too. */
  allowPrivate: boolean;
  /** The retry schedule's unit (5 s); tests shrink it so retries come in milliseconds. */
  retryBaseMs?: number;
  /** Per attempt, connection to the end of the response headers. */
  timeoutMs?: number;
  /** How many deliveries are in flight at once. */
  concurrency?: number;
  resolver?: Resolver;
}

const ATTEMPT_TIMEOUT_MS = 10_000;
const MAX_ERROR_LENGTH = 500;

export interface AttemptResult {
  status: number | null;
  error: string | null;
}

/**
 * Sends webhook deliveries stored in SQLite: each due one is POSTed, signed; a 2xx is
 * success, anything else (or no answer within the timeout) is retried on the schedule of
 * nextAttemptAt until it gives up. Nothing is held only in memory: pending deliveries left by
 * a stopped server are sent when the next one starts.
 */
export class WebhookDispatcher {
  private readonly inFlight = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly sending = new Set<Promise<void>>();
  private readonly lookup;
  private readonly retryBaseMs: number;
  private readonly timeoutMs: number;
  private readonly concurrency: number;

  constructor(private readonly options: WebhookDispatcherOptions) {
    this.lookup = guardedLookup({ allowPrivate: options.allowPrivate, resolver: options.resolver });
    this.retryBaseMs = options.retryBaseMs ?? DEFAULT_RETRY_BASE_MS;
    this.timeoutMs = options.timeoutMs ?? ATTEMPT_TIMEOUT_MS;
    this.concurrency = options.concurrency ?? 8;
  }

  start(): void {
    this.running = true;
    this.wake();
  }

  /** Queues the event for the tenant's subscribed webhooks and sends at once. */
  publish(tenant: string, type: WebhookEvent, imageId: string, data: unknown): void {
    const now = this.options.clock.now();
    const body = JSON.stringify({ type, imageId, occurredAt: new Date(now).toISOString(), data });
    const queued = this.options.store.enqueue(tenant, type, imageId, now, body);
    if (queued > 0) this.wake();
  }

  /** Sends what is due now and sets a timer for the next due delivery. */
  wake(): void {
    if (!this.running) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    const now = this.options.clock.now();
    const room = this.concurrency - this.inFlight.size;
    if (room > 0) {
      const due = this.options.store.due(now, room + this.inFlight.size);
      for (const delivery of due) {
        if (this.inFlight.has(delivery.deliveryId) || this.inFlight.size >= this.concurrency) continue;
        this.inFlight.add(delivery.deliveryId);
        const sent = this.attempt(delivery).finally(() => {
          this.inFlight.delete(delivery.deliveryId);
          this.sending.delete(sent);
          this.wake();
        });
        this.sending.add(sent);
      }
    }
    if (this.inFlight.size >= this.concurrency) return; // Woken again as each one ends.
    const next = this.options.store.nextDue();
    if (next === null) return;
    // Capped so a clock jump never leaves a delivery waiting for hours past its time.
    const delay = Math.min(Math.max(next - now, 10), 60_000);
    this.timer = setTimeout(() => this.wake(), delay);
    this.timer.unref();
  }

  /** Stops sending; waits for attempts in flight (each bounded by the timeout). */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await Promise.allSettled([...this.sending]);
  }

  private async attempt(delivery: DueDelivery): Promise<void> {
    const { clock, store, logger } = this.options;
    const timestamp = Math.floor(clock.now() / 1000);
    const headers = signWebhook(delivery.secret, delivery.deliveryId, timestamp, delivery.body);
    const result = await this.post(delivery.url, headers, delivery.body);
    const now = clock.now();
    const attempts = delivery.attempts + 1;
    const ok = result.status !== null && result.status >= 200 && result.status < 300;
    const next = ok ? null : nextAttemptAt(delivery.createdAt, attempts, now, this.retryBaseMs);
    store.recordAttempt({
      deliveryId: delivery.deliveryId,
      status: ok ? 'succeeded' : next === null ? 'failed' : 'pending',
      lastStatus: result.status,
      lastError: result.error,
      nextAttemptAt: next,
      now,
    });
    const log = { deliveryId: delivery.deliveryId, attempts, status: result.status, error: result.error };
    if (ok) logger.debug(log, 'webhook delivered');
    else if (next === null) logger.warn(log, 'webhook delivery failed for good');
    else
      logger.info({ ...log, retryAt: new Date(next).toISOString() }, 'webhook delivery failed; will retry');
  }

  /** One POST; never throws. Redirects are not followed (a 3xx is a failed attempt). */
  post(target: string, headers: Record<string, string>, body: string): Promise<AttemptResult> {
    return new Promise((resolve) => {
      let url: URL;
      try {
        url = new URL(target);
      } catch {
        return resolve({ status: null, error: 'invalid URL' });
      }
      // An IP literal is connected to without a lookup: check it here instead.
      const literal = refusedLiteral(url, this.options.allowPrivate);
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
          lookup: this.lookup,
          headers: {
            ...headers,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'user-agent': 'serverless-image-api-webhooks',
          },
        },
        (res) => {
          res.resume(); // The body is not read; only the status counts.
          const status = res.statusCode ?? null;
          finish({
            status,
            error: status !== null && status >= 200 && status < 300 ? null : `HTTP ${status}`,
          });
        },
      );
      const deadline = setTimeout(() => {
        finish({ status: null, error: `no response within ${this.timeoutMs} ms` });
        req.destroy();
      }, this.timeoutMs);
      req.on('error', (err) => finish({ status: null, error: err.message }));
      req.end(body);
    });
  }
}
