import { randomUUID } from 'node:crypto';
import type { Clock } from '../../ports/clock.ts';
import type { DeadLetter, DeadLetterQueue, Job, JobQueue, ReceivedJob } from '../../ports/job-queue.ts';
import type { SqliteDatabase } from './sqlite-database.ts';

interface JobRow {
  id: string;
  name: string;
  body: string;
  receive_count: number;
  last_error: string | null;
  dead_lettered_at: number | null;
}

export interface QueueDepth {
  ready: number;
  invisible: number;
  deadLetters: number;
}

const MAIN = 'main';
const DLQ = 'dlq';

/**
 * A durable queue with SQS semantics in the application's SQLite file. Receiving leases a
 * job (visibility timeout); a worker that dies simply lets the lease run out and the job
 * becomes visible again. Deliveries past `maxReceives` go to the dead-letter queue.
 */
export class SqliteJobQueue implements JobQueue, DeadLetterQueue {
  private readonly stmt;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly clock: Clock,
    private readonly maxReceives: number,
  ) {
    this.stmt = {
      insert: db.prepare(
        `INSERT INTO jobs (id, queue, name, body, image_id, visible_at, created_at)
         VALUES (@id, '${MAIN}', @name, @body, @imageId, @visibleAt, @now)`,
      ),
      ready: db.prepare<[number, number], JobRow>(
        `SELECT id, name, body, receive_count, last_error, dead_lettered_at FROM jobs
         WHERE queue = '${MAIN}' AND visible_at <= ? ORDER BY visible_at LIMIT ?`,
      ),
      lease: db.prepare<[number, string, string]>(
        'UPDATE jobs SET receive_count = receive_count + 1, visible_at = ?, receipt_handle = ? WHERE id = ?',
      ),
      toDlq: db.prepare<[number, string | null, string]>(
        `UPDATE jobs SET queue = '${DLQ}', dead_lettered_at = ?, receipt_handle = NULL,
           last_error = COALESCE(?, last_error) WHERE id = ?`,
      ),
      delete: db.prepare<[string]>('DELETE FROM jobs WHERE receipt_handle = ?'),
      visibility: db.prepare<[number, string | null, string]>(
        `UPDATE jobs SET visible_at = ?, last_error = COALESCE(?, last_error) WHERE receipt_handle = ? AND queue = '${MAIN}'`,
      ),
      postpone: db.prepare<[number, string, string]>(
        `UPDATE jobs SET visible_at = ?, last_error = ?, receive_count = MAX(receive_count - 1, 0)
         WHERE receipt_handle = ? AND queue = '${MAIN}'`,
      ),
      byHandle: db.prepare<[string], { id: string }>(
        `SELECT id FROM jobs WHERE receipt_handle = ? AND queue = '${MAIN}'`,
      ),
      deleteForImage: db.prepare<[string]>('DELETE FROM jobs WHERE image_id = ?'),
      deadLetters: db.prepare<[number], JobRow>(
        `SELECT id, name, body, receive_count, last_error, dead_lettered_at FROM jobs
         WHERE queue = '${DLQ}' ORDER BY dead_lettered_at LIMIT ?`,
      ),
      redriveAll: db.prepare<[number]>(
        `UPDATE jobs SET queue = '${MAIN}', receive_count = 0, visible_at = ?, dead_lettered_at = NULL WHERE queue = '${DLQ}'`,
      ),
      depth: db.prepare<{ now: number }, { ready: number; invisible: number; dead: number }>(
        `SELECT COALESCE(SUM(queue = '${MAIN}' AND visible_at <= @now), 0) AS ready,
                COALESCE(SUM(queue = '${MAIN}' AND visible_at > @now), 0) AS invisible,
                COALESCE(SUM(queue = '${DLQ}'), 0) AS dead
         FROM jobs`,
      ),
      redriveOne: db.prepare<[number, string]>(
        `UPDATE jobs SET queue = '${MAIN}', receive_count = 0, visible_at = ?, dead_lettered_at = NULL
         WHERE queue = '${DLQ}' AND id = ?`,
      ),
    };
  }

  /**
   * How many jobs each queue holds now: `ready` to be received, `invisible` leased or waiting
   * out a retry's delay, `deadLetters` given up on. One scan of a table that holds only jobs
   * not yet done, so it stays small.
   */
  depth(): QueueDepth {
    const row = this.stmt.depth.get({ now: this.clock.now() });
    return { ready: row?.ready ?? 0, invisible: row?.invisible ?? 0, deadLetters: row?.dead ?? 0 };
  }

  async send(job: Job, options: { delaySeconds?: number } = {}): Promise<string> {
    const id = randomUUID();
    const now = this.clock.now();
    this.stmt.insert.run({
      id,
      name: job.name,
      body: JSON.stringify(job.data),
      imageId: 'imageId' in job.data ? job.data.imageId : null,
      visibleAt: now + Math.round((options.delaySeconds ?? 0) * 1000),
      now,
    });
    return id;
  }

  async receive(options: { max: number; visibilityTimeoutSeconds: number }): Promise<ReceivedJob[]> {
    // IMMEDIATE takes the write lock first, so two consumers never lease the same job.
    return this.db
      .transaction(() => {
        const now = this.clock.now();
        const received: ReceivedJob[] = [];
        for (const row of this.stmt.ready.all(now, options.max)) {
          if (row.receive_count >= this.maxReceives) {
            this.stmt.toDlq.run(now, `exceeded ${this.maxReceives} receives`, row.id);
            continue;
          }
          const receiptHandle = randomUUID();
          this.stmt.lease.run(now + options.visibilityTimeoutSeconds * 1000, receiptHandle, row.id);
          received.push({
            id: row.id,
            job: { name: row.name, data: JSON.parse(row.body) } as Job,
            receiptHandle,
            receiveCount: row.receive_count + 1,
          });
        }
        return received;
      })
      .immediate();
  }

  async delete(receiptHandle: string): Promise<boolean> {
    return this.stmt.delete.run(receiptHandle).changes === 1;
  }

  async changeVisibility(receiptHandle: string, seconds: number, lastError?: string): Promise<boolean> {
    const visibleAt = this.clock.now() + Math.round(seconds * 1000);
    return this.stmt.visibility.run(visibleAt, lastError ?? null, receiptHandle).changes === 1;
  }

  async postpone(receiptHandle: string, seconds: number, reason: string): Promise<boolean> {
    const visibleAt = this.clock.now() + Math.round(seconds * 1000);
    return this.stmt.postpone.run(visibleAt, reason, receiptHandle).changes === 1;
  }

  async deadLetter(receiptHandle: string, reason: string): Promise<boolean> {
    const row = this.stmt.byHandle.get(receiptHandle);
    if (!row) return false;
    return this.stmt.toDlq.run(this.clock.now(), reason, row.id).changes === 1;
  }

  async deleteJobsFor(imageId: string): Promise<number> {
    return this.stmt.deleteForImage.run(imageId).changes;
  }

  async listDeadLetters(limit: number): Promise<DeadLetter[]> {
    return this.stmt.deadLetters.all(limit).map((row) => ({
      id: row.id,
      job: { name: row.name, data: JSON.parse(row.body) } as Job,
      receiveCount: row.receive_count,
      lastError: row.last_error,
      deadLetteredAt: row.dead_lettered_at ?? 0,
    }));
  }

  async redrive(ids?: string[]): Promise<number> {
    const now = this.clock.now();
    if (!ids) return this.stmt.redriveAll.run(now).changes;
    return this.db.transaction(() =>
      ids.reduce((n, id) => n + this.stmt.redriveOne.run(now, id).changes, 0),
    )();
  }
}
