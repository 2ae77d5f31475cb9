import type { DeliveryStatus, WebhookEvent } from '../core/webhooks.ts';

export interface WebhookRecord {
  webhookId: string;
  tenant: string;
  url: string;
  events: WebhookEvent[];
  /** `whsec_…`; needed in plaintext to sign, shown to the client only at creation. */
  secret: string;
  createdAt: number;
}

export interface DeliveryRecord {
  deliveryId: string;
  webhookId: string;
  type: WebhookEvent;
  imageId: string;
  status: DeliveryStatus;
  attempts: number;
  lastResponseStatus: number | null;
  lastError: string | null;
  nextAttemptAt: number | null;
  createdAt: number;
  updatedAt: number;
}

/** Webhooks and their deliveries, per tenant (SQLite locally; not built on AWS yet). */
export interface WebhookStore {
  create(input: Omit<WebhookRecord, 'webhookId' | 'secret'>): Promise<WebhookRecord>;
  list(tenant: string): Promise<WebhookRecord[]>;
  get(tenant: string, webhookId: string): Promise<WebhookRecord | null>;
  delete(tenant: string, webhookId: string): Promise<boolean>;
  /** The latest deliveries, newest first. */
  deliveries(webhookId: string, limit: number): Promise<DeliveryRecord[]>;
}
