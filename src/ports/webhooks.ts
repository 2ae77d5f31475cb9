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

/**
 * Where one queued delivery is: what a queue message carries to find it again (on AWS, the
 * webhook queue's message body; locally the dispatcher reads due ones from SQLite instead).
 */
export interface DeliveryRef {
  tenant: string;
  webhookId: string;
  deliveryId: string;
  createdAt: number;
}

/** A pending delivery with what sending it needs. */
export interface DueDelivery extends DeliveryRef {
  url: string;
  secret: string;
  body: string;
  attempts: number;
  nextAttemptAt: number;
}

/** One attempt's result, written only if nobody recorded an attempt since `attemptsBefore`. */
export interface DeliveryAttempt {
  ref: DeliveryRef;
  attemptsBefore: number;
  status: DeliveryStatus;
  lastStatus: number | null;
  lastError: string | null;
  nextAttemptAt: number | null;
  now: number;
}

/** An image event to queue for the tenant's subscribed webhooks. */
export interface WebhookEventInput {
  tenant: string;
  type: WebhookEvent;
  imageId: string;
  /** The signed JSON body, the same on every attempt. */
  body: string;
  now: number;
}

/**
 * Webhooks and their deliveries, per tenant: SQLite locally, the image table in DynamoDB on
 * AWS. Deleting a webhook drops its deliveries.
 */
export interface WebhookStore {
  create(input: Omit<WebhookRecord, 'webhookId' | 'secret'>): Promise<WebhookRecord>;
  list(tenant: string): Promise<WebhookRecord[]>;
  get(tenant: string, webhookId: string): Promise<WebhookRecord | null>;
  delete(tenant: string, webhookId: string): Promise<boolean>;
  /** The latest deliveries, newest first. */
  deliveries(webhookId: string, limit: number): Promise<DeliveryRecord[]>;
  /**
   * Queues one pending delivery (its own message id, due now) per webhook of the tenant
   * subscribed to the event's type, and returns where each one is.
   */
  enqueue(event: WebhookEventInput): Promise<DeliveryRef[]>;
  /** The delivery with its webhook's URL and secret, or null once it is done or its webhook is gone. */
  pending(ref: DeliveryRef): Promise<DueDelivery | null>;
  /**
   * Records an attempt: false (and nothing written) if the delivery is no longer pending,
   * is gone, or another sender recorded an attempt first (a duplicate queue message).
   */
  recordAttempt(attempt: DeliveryAttempt): Promise<boolean>;
}
