import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, inject } from 'vitest';
import { SqsJobQueue } from '../../src/adapters/aws/sqs-job-queue.ts';
import { openDatabase } from '../../src/adapters/local/sqlite-database.ts';
import { SqliteJobQueue } from '../../src/adapters/local/sqlite-job-queue.ts';
import { MOTO_INSTALL_HINT } from '../helpers/moto.ts';
import { createQueuePair, motoSqsClient } from '../helpers/sqs.ts';
import { jobQueueContract } from './job-queue.contract.ts';

const motoEndpoint = inject('motoEndpoint');
if (!motoEndpoint) console.warn(`\n!!! ${MOTO_INSTALL_HINT}\n`);

// Past a visibility timeout for real: moto measures it on its own clock, a request away.
const SQS_MARGIN_MS = 250;

describe('Contract: JobQueue on SqliteJobQueue', () => {
  jobQueueContract({
    refusesSupersededHandles: true,
    postponeUncounts: true,
    async create(maxReceives) {
      const dir = mkdtempSync(join(tmpdir(), 'imgapi-queue-contract-'));
      const db = openDatabase(join(dir, 'db.sqlite'));
      let time = 1_700_000_000_000;
      const queue = new SqliteJobQueue(db, { now: () => time }, maxReceives);
      return {
        queue,
        deadLetters: queue,
        now: () => time,
        advance: async (seconds) => {
          time += seconds * 1000;
        },
        close: async () => {
          db.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  });
});

describe.skipIf(!motoEndpoint)('Contract: JobQueue on SqsJobQueue (moto_server)', () => {
  jobQueueContract({
    refusesSupersededHandles: false,
    postponeUncounts: false,
    async create(maxReceives) {
      const client = motoSqsClient(motoEndpoint as string);
      const pair = await createQueuePair(client, maxReceives);
      const queue = new SqsJobQueue({
        client,
        queueUrl: pair.queueUrl,
        deadLetterQueueUrl: pair.deadLetterQueueUrl,
        maxReceives,
        waitTimeSeconds: 0,
      });
      return {
        queue,
        deadLetters: queue,
        now: () => Date.now(),
        advance: (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000 + SQS_MARGIN_MS)),
        close: async () => {
          await pair.remove();
          client.destroy();
        },
      };
    },
  });
});
