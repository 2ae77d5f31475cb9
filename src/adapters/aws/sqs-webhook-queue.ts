import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import type { Clock } from '../../ports/clock.ts';
import type { DeliveryRef } from '../../ports/webhooks.ts';
import { callSqs } from './sqs-errors.ts';
import { MAX_DELAY_SECONDS, MAX_MESSAGES_PER_CALL } from './sqs-job-queue.ts';

const DeliveryMessageSchema = z.object({
  tenant: z.string().min(1),
  webhookId: z.string().min(1),
  deliveryId: z.string().min(1),
  createdAt: z.number().int().nonnegative(),
});

/** A webhook queue message's body: where its delivery is, nothing else (the store holds the rest). */
export function parseDeliveryMessage(body: string): DeliveryRef | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return { error: 'body is not JSON' };
  }
  const parsed = DeliveryMessageSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  return { error: parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') };
}

export interface SqsWebhookQueueOptions {
  client: SQSClient;
  queueUrl: string;
  clock: Clock;
}

/**
 * The AWS home's timer for webhook deliveries: one SQS message per delivery attempt, held
 * back (DelaySeconds) until the attempt is due. SQS holds a message back at most 15 minutes,
 * so a later attempt (the schedule's waits reach 10 hours) is a chain of messages: the
 * webhook function, handed one early, sends it on with the rest of the wait (at most 900 s
 * at a time), without attempting; the store's nextAttemptAt is what decides.
 */
export class SqsWebhookQueue {
  constructor(private readonly options: SqsWebhookQueueOptions) {}

  /** Sends each delivery a message that arrives when `dueAt` comes (now when null), or in 900 s. */
  async schedule(refs: readonly DeliveryRef[], dueAt: number | null = null): Promise<void> {
    const wait = dueAt === null ? 0 : Math.ceil((dueAt - this.options.clock.now()) / 1000);
    const DelaySeconds = Math.min(MAX_DELAY_SECONDS, Math.max(0, wait));
    for (let i = 0; i < refs.length; i += MAX_MESSAGES_PER_CALL) {
      const entries = refs.slice(i, i + MAX_MESSAGES_PER_CALL).map((ref, n) => ({
        Id: String(n),
        MessageBody: JSON.stringify({
          tenant: ref.tenant,
          webhookId: ref.webhookId,
          deliveryId: ref.deliveryId,
          createdAt: ref.createdAt,
        }),
        DelaySeconds,
      }));
      const out = await callSqs('SendMessageBatch', () =>
        this.options.client.send(
          new SendMessageBatchCommand({ QueueUrl: this.options.queueUrl, Entries: entries }),
        ),
      );
      const failed = out.Failed ?? [];
      if (failed.length > 0)
        throw new Error(
          `SQS SendMessageBatch refused ${failed.length} webhook message(s): ${failed.map((f) => f.Message ?? f.Code).join('; ')}`,
        );
    }
  }
}
