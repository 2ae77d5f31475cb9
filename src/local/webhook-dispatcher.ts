import type { Logger } from 'pino';
import type { SqliteWebhookStore } from '../adapters/local/sqlite-webhook-store.ts';
import { attemptDelivery, reportAttempt } from '../core/webhook-attempt.ts';
import { createWebhookPost, type WebhookPost } from '../core/webhook-post.ts';
import type { Resolver } from '../core/webhook-target.ts';
import { DEFAULT_RETRY_BASE_MS } from '../core/webhooks.ts';
import type { Clock } from '../ports/clock.ts';
import type { DueDelivery, WebhookEventInput } from '../ports/webhooks.ts';

export interface WebhookDispatcherOptions {
  store: SqliteWebhookStore;
  clock: Clock;
  logger: Logger;
  /** WEBHOOK_ALLOW_PRIVATE: deliver to private and loopback addresses too. */
  allowPrivate: boolean;
  /** The retry schedule's unit (5 s); tests shrink it so retries come in milliseconds. */
  retryBaseMs?: number;
  /** Per attempt, connection to the end of the response headers (default 10 s). */
  timeoutMs?: number;
  /** How many deliveries are in flight at once. */
  concurrency?: number;
  resolver?: Resolver;
}

const RECORD_FAILURE_PAUSE_MS = 2000;

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
  private readonly retryBaseMs: number;
  private readonly concurrency: number;
  /** One POST, with the SSRF checks at connect time; never throws. */
  readonly post: WebhookPost;

  constructor(private readonly options: WebhookDispatcherOptions) {
    this.post = createWebhookPost({
      allowPrivate: options.allowPrivate,
      timeoutMs: options.timeoutMs,
      resolver: options.resolver,
    });
    this.retryBaseMs = options.retryBaseMs ?? DEFAULT_RETRY_BASE_MS;
    this.concurrency = options.concurrency ?? 8;
  }

  start(): void {
    this.running = true;
    this.wake();
  }

  /** Queues the event for the tenant's subscribed webhooks and sends at once. */
  async publish(event: WebhookEventInput): Promise<void> {
    const queued = await this.options.store.enqueue(event);
    if (queued.length > 0) this.wake();
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

  /**
   * One attempt; never rejects. A failed write is logged and the delivery, still due, keeps
   * its slot a moment longer, so a database that keeps failing is not met with a POST loop.
   */
  private async attempt(delivery: DueDelivery): Promise<void> {
    const { clock, store, logger } = this.options;
    try {
      const { attempt } = await attemptDelivery(delivery, {
        store,
        clock,
        post: this.post,
        retryBaseMs: this.retryBaseMs,
      });
      const report = reportAttempt(attempt);
      logger[report.level](report.fields, report.message);
    } catch (err) {
      logger.error({ err, deliveryId: delivery.deliveryId }, 'could not record a webhook attempt');
      await new Promise((resolve) => setTimeout(resolve, RECORD_FAILURE_PAUSE_MS).unref());
    }
  }
}
