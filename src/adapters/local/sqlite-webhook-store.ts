import type { DeliveryStatus, WebhookEvent } from '../../core/webhooks.ts';
import { generateMessageId, generateWebhookId, generateWebhookSecret } from '../../core/webhooks.ts';
import type {
  DeliveryAttempt,
  DeliveryRecord,
  DeliveryRef,
  DueDelivery,
  WebhookEventInput,
  WebhookRecord,
  WebhookStore,
} from '../../ports/webhooks.ts';
import type { SqliteDatabase } from './sqlite-database.ts';

interface WebhookRow {
  webhook_id: string;
  tenant: string;
  url: string;
  events: string;
  secret: string;
  created_at: number;
}

interface DeliveryRow {
  delivery_id: string;
  webhook_id: string;
  type: string;
  image_id: string;
  status: string;
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  next_attempt_at: number | null;
  created_at: number;
  updated_at: number;
}

const toWebhook = (row: WebhookRow): WebhookRecord => ({
  webhookId: row.webhook_id,
  tenant: row.tenant,
  url: row.url,
  events: JSON.parse(row.events) as WebhookEvent[],
  secret: row.secret,
  createdAt: row.created_at,
});

const toDelivery = (row: DeliveryRow): DeliveryRecord => ({
  deliveryId: row.delivery_id,
  webhookId: row.webhook_id,
  type: row.type as WebhookEvent,
  imageId: row.image_id,
  status: row.status as DeliveryStatus,
  attempts: row.attempts,
  lastResponseStatus: row.last_status,
  lastError: row.last_error,
  nextAttemptAt: row.next_attempt_at,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const DUE_COLUMNS = `d.delivery_id AS deliveryId, w.tenant, d.webhook_id AS webhookId, w.url, w.secret,
  d.body, d.attempts, d.created_at AS createdAt, d.next_attempt_at AS nextAttemptAt`;
const WEBHOOK_COLUMNS = 'webhook_id, tenant, url, events, secret, created_at';
const DELIVERY_COLUMNS =
  'delivery_id, webhook_id, type, image_id, status, attempts, last_status, last_error, next_attempt_at, created_at, updated_at';

/** Webhooks and their deliveries in SQLite. */
export class SqliteWebhookStore implements WebhookStore {
  private readonly stmt;
  private readonly db: SqliteDatabase;

  constructor(db: SqliteDatabase) {
    this.db = db;
    this.stmt = {
      insert: db.prepare(
        `INSERT INTO webhooks (${WEBHOOK_COLUMNS}) VALUES (@webhookId, @tenant, @url, @events, @secret, @createdAt)`,
      ),
      list: db.prepare<[string], WebhookRow>(
        `SELECT ${WEBHOOK_COLUMNS} FROM webhooks WHERE tenant = ? ORDER BY created_at, webhook_id`,
      ),
      get: db.prepare<[string, string], WebhookRow>(
        `SELECT ${WEBHOOK_COLUMNS} FROM webhooks WHERE tenant = ? AND webhook_id = ?`,
      ),
      delete: db.prepare<[string, string]>('DELETE FROM webhooks WHERE tenant = ? AND webhook_id = ?'),
      deliveries: db.prepare<[string, number], DeliveryRow>(
        `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE webhook_id = ?
         ORDER BY created_at DESC, rowid DESC LIMIT ?`,
      ),
      enqueue: db.prepare(
        `INSERT INTO webhook_deliveries (delivery_id, webhook_id, type, image_id, body, status, next_attempt_at, created_at, updated_at)
         VALUES (@deliveryId, @webhookId, @type, @imageId, @body, 'pending', @now, @now, @now)`,
      ),
      due: db.prepare<[number, number], DueDelivery>(
        `SELECT ${DUE_COLUMNS} FROM webhook_deliveries d JOIN webhooks w USING (webhook_id)
         WHERE d.status = 'pending' AND d.next_attempt_at <= ? ORDER BY d.next_attempt_at LIMIT ?`,
      ),
      pending: db.prepare<[string, string], DueDelivery>(
        `SELECT ${DUE_COLUMNS} FROM webhook_deliveries d JOIN webhooks w USING (webhook_id)
         WHERE d.delivery_id = ? AND d.webhook_id = ? AND d.status = 'pending'`,
      ),
      nextDue: db.prepare<[], { at: number | null }>(
        `SELECT min(next_attempt_at) AS at FROM webhook_deliveries WHERE status = 'pending'`,
      ),
      prune: db.prepare<[number]>(
        `DELETE FROM webhook_deliveries WHERE status != 'pending' AND updated_at < ?`,
      ),
      record: db.prepare(
        `UPDATE webhook_deliveries SET status = @status, attempts = attempts + 1, last_status = @lastStatus,
           last_error = @lastError, next_attempt_at = @nextAttemptAt, updated_at = @now
         WHERE delivery_id = @deliveryId AND status = 'pending' AND attempts = @attemptsBefore`,
      ),
    };
  }

  async create(input: Omit<WebhookRecord, 'webhookId' | 'secret'>): Promise<WebhookRecord> {
    const record: WebhookRecord = {
      ...input,
      webhookId: generateWebhookId(),
      secret: generateWebhookSecret(),
    };
    this.stmt.insert.run({ ...record, events: JSON.stringify(record.events) });
    return record;
  }

  async list(tenant: string): Promise<WebhookRecord[]> {
    return this.stmt.list.all(tenant).map(toWebhook);
  }

  async get(tenant: string, webhookId: string): Promise<WebhookRecord | null> {
    const row = this.stmt.get.get(tenant, webhookId);
    return row ? toWebhook(row) : null;
  }

  async delete(tenant: string, webhookId: string): Promise<boolean> {
    return this.stmt.delete.run(tenant, webhookId).changes === 1;
  }

  async deliveries(webhookId: string, limit: number): Promise<DeliveryRecord[]> {
    return this.stmt.deliveries.all(webhookId, limit).map(toDelivery);
  }

  /**
   * Local only (DynamoDB's TTL does this on AWS): removes deliveries that finished (delivered
   * or given up) before `before`, so a webhook's history does not grow for ever, each row
   * holding a copy of the image's JSON. Returns how many went.
   */
  pruneFinished(before: number): number {
    return this.stmt.prune.run(before).changes;
  }

  async enqueue(event: WebhookEventInput): Promise<DeliveryRef[]> {
    const { tenant, type, imageId, body, now } = event;
    const matching = this.stmt.list
      .all(tenant)
      .map(toWebhook)
      .filter((w) => w.events.includes(type));
    const refs = matching.map((webhook) => ({
      tenant,
      webhookId: webhook.webhookId,
      deliveryId: generateMessageId(),
      createdAt: now,
    }));
    this.db.transaction(() => {
      for (const ref of refs)
        this.stmt.enqueue.run({
          deliveryId: ref.deliveryId,
          webhookId: ref.webhookId,
          type,
          imageId,
          body,
          now,
        });
    })();
    return refs;
  }

  async pending(ref: DeliveryRef): Promise<DueDelivery | null> {
    return this.stmt.pending.get(ref.deliveryId, ref.webhookId) ?? null;
  }

  async recordAttempt(attempt: DeliveryAttempt): Promise<boolean> {
    const { ref, ...rest } = attempt;
    return this.stmt.record.run({ ...rest, deliveryId: ref.deliveryId }).changes === 1;
  }

  /** Pending deliveries due by `now`, soonest first: the local dispatcher's timer reads these. */
  due(now: number, limit: number): DueDelivery[] {
    return this.stmt.due.all(now, limit);
  }

  nextDue(): number | null {
    return this.stmt.nextDue.get()?.at ?? null;
  }
}
