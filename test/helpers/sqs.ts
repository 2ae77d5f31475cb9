import { randomUUID } from 'node:crypto';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { motoClientConfig } from './moto.ts';

/** An SQS client for moto_server: any credentials do, the region only has to be real. */
export function motoSqsClient(endpoint: string): SQSClient {
  return new SQSClient(motoClientConfig(endpoint));
}

export interface SqsQueuePair {
  queueUrl: string;
  deadLetterQueueUrl: string;
  /** Deletes both queues. */
  remove(): Promise<void>;
}

/**
 * A uniquely named main queue and its DLQ, wired as production wires them: the main
 * queue's RedrivePolicy moves a message to the DLQ after `maxReceives` deliveries.
 */
export async function createQueuePair(client: SQSClient, maxReceives: number): Promise<SqsQueuePair> {
  const name = `jobs-${randomUUID()}`;
  const dlq = await client.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
  const deadLetterQueueUrl = dlq.QueueUrl as string;
  const { Attributes } = await client.send(
    new GetQueueAttributesCommand({ QueueUrl: deadLetterQueueUrl, AttributeNames: ['QueueArn'] }),
  );
  const main = await client.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: Attributes?.QueueArn,
          maxReceiveCount: maxReceives,
        }),
      },
    }),
  );
  const queueUrl = main.QueueUrl as string;
  return {
    queueUrl,
    deadLetterQueueUrl,
    remove: async () => {
      await client.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
      await client.send(new DeleteQueueCommand({ QueueUrl: deadLetterQueueUrl }));
    },
  };
}
