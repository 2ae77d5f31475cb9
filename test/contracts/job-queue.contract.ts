import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DeadLetterQueue, Job, JobQueue, ReceivedJob } from '../../src/ports/job-queue.ts';

/** One fresh, empty queue and its dead-letter queue, as an adapter builds them. */
export interface JobQueueUnderTest {
  queue: JobQueue;
  deadLetters: DeadLetterQueue;
  /** Lets at least `seconds` pass as the queue sees time: moves a fake clock, or sleeps. */
  advance(seconds: number): Promise<void>;
  /** Now, in epoch ms, by the clock the queue stamps dead letters with. */
  now(): number;
  close(): Promise<void>;
}

export interface JobQueueContractOptions {
  /** Builds a fresh pair whose queue dead-letters a job after `maxReceives` deliveries. */
  create(maxReceives: number): Promise<JobQueueUnderTest>;
  /**
   * Whether a handle superseded by a later delivery is refused (false). SQLite refuses it;
   * SQS (moto, and AWS for delete at least) accepts any handle the message ever had, which
   * the port allows: only the refusing adapters run that test.
   */
  refusesSupersededHandles: boolean;
  /** Whether postpone() gives the delivery back (SQL); SQS cannot, and counts it. */
  postponeUncounts: boolean;
}

const MAX_RECEIVES = 3;
const job = (imageId: string): Job => ({ name: 'process-image', data: { tenant: 't-1', imageId } });

/**
 * What the core relies on from every JobQueue + DeadLetterQueue adapter. Visibility
 * timeouts stay at 1–4 s, as an SQS run sleeps through them for real.
 */
export function jobQueueContract(options: JobQueueContractOptions): void {
  let t: JobQueueUnderTest;
  let queue: JobQueue;
  let deadLetters: DeadLetterQueue;

  beforeEach(async () => {
    t = await options.create(MAX_RECEIVES);
    ({ queue, deadLetters } = t);
  });
  afterEach(async () => {
    await t.close();
  });

  const receive = (visibilityTimeoutSeconds: number, max = 10) =>
    queue.receive({ max, visibilityTimeoutSeconds });

  /** Receives until the queue has nothing ready (SQS may hand out fewer than are ready). */
  async function receiveAll(visibilityTimeoutSeconds: number): Promise<ReceivedJob[]> {
    const all: ReceivedJob[] = [];
    for (;;) {
      const batch = await receive(visibilityTimeoutSeconds);
      if (batch.length === 0) return all;
      all.push(...batch);
    }
  }

  async function receiveOne(visibilityTimeoutSeconds: number): Promise<ReceivedJob> {
    const [message, ...rest] = await receive(visibilityTimeoutSeconds);
    expect(rest).toEqual([]);
    if (!message) throw new Error('expected a job to be delivered, got none');
    return message;
  }

  describe('Method: send / receive / delete', () => {
    it('delivers a sent job once, with the id send returned and receive count 1', async () => {
      const id = await queue.send(job('img-1'));
      const message = await receiveOne(1);
      expect(message).toEqual({ id, job: job('img-1'), receiptHandle: expect.any(String), receiveCount: 1 });
      expect(await queue.delete(message.receiptHandle)).toBe(true);
      await t.advance(1);
      expect(await receive(1)).toEqual([]);
    });

    it('leases at most `max` jobs a call, and every job exactly once', async () => {
      const ids = [await queue.send(job('a')), await queue.send(job('b')), await queue.send(job('c'))];
      const first = await receive(30, 2);
      expect(first.length).toBeGreaterThanOrEqual(1);
      expect(first.length).toBeLessThanOrEqual(2);
      const rest = await receiveAll(30);
      expect([...first, ...rest].map((m) => m.id).sort()).toEqual([...ids].sort());
    });

    it('holds a delayed job back for delaySeconds', async () => {
      // 2 s, checked at once: a busy moto has a whole second to answer inside the delay.
      await queue.send(job('img-1'), { delaySeconds: 2 });
      expect(await receive(1)).toEqual([]);
      await t.advance(2);
      expect((await receiveOne(1)).job).toEqual(job('img-1'));
    });
  });

  describe('Visibility timeout', () => {
    it('hides a received job until its timeout ends, then delivers it again with receive count 2', async () => {
      // A 4 s lease checked 1 s in: on SQS the check lands well inside the lease however slow
      // moto answers, and well after it once the rest has passed.
      await queue.send(job('img-1'));
      const first = await receiveOne(4);
      expect(await receive(2)).toEqual([]);
      await t.advance(1);
      expect(await receive(2)).toEqual([]);
      await t.advance(3);
      const second = await receiveOne(2);
      expect(second).toMatchObject({ id: first.id, job: job('img-1'), receiveCount: 2 });
      expect(second.receiptHandle).not.toBe(first.receiptHandle);
    });

    it('extends a lease with changeVisibility', async () => {
      await queue.send(job('img-1'));
      const message = await receiveOne(1);
      expect(await queue.changeVisibility(message.receiptHandle, 4)).toBe(true);
      await t.advance(1);
      expect(await receive(1)).toEqual([]);
      await t.advance(3);
      expect(await receiveOne(1)).toMatchObject({ id: message.id, receiveCount: 2 });
    });

    it('shortens a lease with changeVisibility 0: the job is delivered again at once', async () => {
      await queue.send(job('img-1'));
      const message = await receiveOne(30);
      expect(await queue.changeVisibility(message.receiptHandle, 0, 'TRANSIENT: try again')).toBe(true);
      expect(await receiveOne(30)).toMatchObject({ id: message.id, receiveCount: 2 });
    });
  });

  describe('Method: postpone', () => {
    it('delivers the job again after the delay, the postponed delivery not counted where the store can', async () => {
      await queue.send(job('img-1'));
      const first = await receiveOne(30);
      expect(await queue.postpone(first.receiptHandle, 1, 'STORAGE_FULL: the disk is full')).toBe(true);
      expect(await receive(30)).toEqual([]);
      await t.advance(1);
      const again = await receiveOne(30);
      expect(again).toMatchObject({ id: first.id, receiveCount: options.postponeUncounts ? 1 : 2 });
    });

    it(`never dead-letters a job for postponed deliveries where the store can uncount them`, async () => {
      if (!options.postponeUncounts) return;
      await queue.send(job('img-1'));
      for (let i = 0; i < MAX_RECEIVES + 2; i++) {
        const message = await receiveOne(30);
        expect(await queue.postpone(message.receiptHandle, 0, 'STORAGE_FULL')).toBe(true);
      }
      expect(await deadLetters.listDeadLetters(10)).toEqual([]);
    });

    it('answers false for a handle it never issued', async () => {
      expect(await queue.postpone('not-a-handle', 0, 'x')).toBe(false);
    });
  });

  describe('Receipt handles', () => {
    it('answers false, without throwing, for a handle it never issued', async () => {
      await queue.send(job('img-1'));
      await receiveOne(30);
      expect(await queue.delete('not-a-receipt-handle')).toBe(false);
      expect(await queue.changeVisibility('not-a-receipt-handle', 0)).toBe(false);
      expect(await queue.deadLetter('not-a-receipt-handle', 'nope')).toBe(false);
      expect(await receive(30)).toEqual([]);
      expect(await deadLetters.listDeadLetters(10)).toEqual([]);
    });

    it('answers false for the handle of a deleted job, and dead-letters nothing', async () => {
      await queue.send(job('img-1'));
      const message = await receiveOne(30);
      expect(await queue.delete(message.receiptHandle)).toBe(true);
      expect(await queue.changeVisibility(message.receiptHandle, 0)).toBe(false);
      expect(await queue.deadLetter(message.receiptHandle, 'too late')).toBe(false);
      expect(await receive(30)).toEqual([]);
      expect(await deadLetters.listDeadLetters(10)).toEqual([]);
    });

    it('answers a handle superseded by a later delivery without throwing', async () => {
      await queue.send(job('img-1'));
      const stale = await receiveOne(1);
      await t.advance(1);
      await receiveOne(30);
      expect(typeof (await queue.changeVisibility(stale.receiptHandle, 30))).toBe('boolean');
      expect(typeof (await queue.deadLetter(stale.receiptHandle, 'late worker'))).toBe('boolean');
      expect(typeof (await queue.delete(stale.receiptHandle))).toBe('boolean');
    });

    if (options.refusesSupersededHandles)
      it('refuses a handle superseded by a later delivery; the current one still works', async () => {
        await queue.send(job('img-1'));
        const stale = await receiveOne(1);
        await t.advance(1);
        const current = await receiveOne(30);
        expect(await queue.changeVisibility(stale.receiptHandle, 0)).toBe(false);
        expect(await queue.deadLetter(stale.receiptHandle, 'late worker')).toBe(false);
        expect(await queue.delete(stale.receiptHandle)).toBe(false);
        expect(await receive(30)).toEqual([]);
        expect(await deadLetters.listDeadLetters(10)).toEqual([]);
        expect(await queue.delete(current.receiptHandle)).toBe(true);
        await t.advance(30);
        expect(await receive(30)).toEqual([]);
      });
  });

  describe('Dead letters', () => {
    it(`dead-letters a job after ${MAX_RECEIVES} deliveries instead of delivering it again`, async () => {
      const before = t.now();
      await queue.send(job('img-1'));
      for (let attempt = 1; attempt <= MAX_RECEIVES; attempt++) {
        const message = await receiveOne(1);
        expect(message.receiveCount).toBe(attempt);
        await queue.changeVisibility(message.receiptHandle, 0, `attempt ${attempt} failed`);
      }
      expect(await receive(1)).toEqual([]);
      const letters = await deadLetters.listDeadLetters(10);
      // lastError is not compared: SQS cannot keep changeVisibility's, SQLite keeps its own.
      expect(letters).toEqual([
        expect.objectContaining({
          id: expect.any(String),
          job: job('img-1'),
          receiveCount: MAX_RECEIVES,
          deadLetteredAt: expect.any(Number),
        }),
      ]);
      expect(letters[0]?.deadLetteredAt).toBeGreaterThanOrEqual(before - 1000);
      expect(letters[0]?.deadLetteredAt).toBeLessThanOrEqual(t.now() + 1000);
    });

    it('dead-letters a job now with deadLetter(), keeping the reason', async () => {
      await queue.send(job('img-1'));
      const message = await receiveOne(1);
      const before = t.now();
      expect(await queue.deadLetter(message.receiptHandle, 'IMAGE_UNDECODABLE: not an image')).toBe(true);
      const after = t.now();
      await t.advance(1);
      expect(await receive(1)).toEqual([]);
      const letters = await deadLetters.listDeadLetters(10);
      expect(letters).toEqual([
        {
          id: expect.any(String),
          job: job('img-1'),
          receiveCount: 1,
          lastError: 'IMAGE_UNDECODABLE: not an image',
          deadLetteredAt: expect.any(Number),
        },
      ]);
      expect(letters[0]?.deadLetteredAt).toBeGreaterThanOrEqual(before - 1000);
      expect(letters[0]?.deadLetteredAt).toBeLessThanOrEqual(after + 1000);
    });

    it('lists at most `limit`, oldest first, and listing takes nothing away', async () => {
      for (const imageId of ['a', 'b', 'c']) {
        await queue.send(job(imageId));
        await queue.deadLetter((await receiveOne(30)).receiptHandle, `failed ${imageId}`);
      }
      const two = await deadLetters.listDeadLetters(2);
      expect(two).toHaveLength(2);
      const all = await deadLetters.listDeadLetters(10);
      expect(all.map((l) => l.job.data.imageId)).toEqual(['a', 'b', 'c']);
      expect(await deadLetters.listDeadLetters(10)).toHaveLength(3);
      expect(await receive(30)).toEqual([]);
    });

    it('lists and redrives more dead letters than one receive returns', async () => {
      const imageIds = Array.from({ length: 12 }, (_, i) => `img-${String(i).padStart(2, '0')}`);
      for (const imageId of imageIds) await queue.send(job(imageId));
      for (const message of await receiveAll(30)) await queue.deadLetter(message.receiptHandle, 'failed');
      const listed = await deadLetters.listDeadLetters(100);
      expect(listed.map((l) => l.job.data.imageId).sort()).toEqual(imageIds);
      expect(await deadLetters.redrive()).toBe(12);
      expect(await deadLetters.listDeadLetters(100)).toEqual([]);
      expect((await receiveAll(30)).map((m) => m.job.data.imageId).sort()).toEqual(imageIds);
    });

    it('redrives only the given ids, with a fresh receive count; with no ids, all of them', async () => {
      for (const imageId of ['a', 'b']) {
        await queue.send(job(imageId));
        await queue.deadLetter((await receiveOne(30)).receiptHandle, `failed ${imageId}`);
      }
      const letters = await deadLetters.listDeadLetters(10);
      const letterA = letters.find((l) => l.job.data.imageId === 'a');
      expect(letterA).toBeDefined();
      expect(await deadLetters.redrive([])).toBe(0);
      expect(await deadLetters.redrive(['no-such-dead-letter'])).toBe(0);

      expect(await deadLetters.redrive([letterA?.id as string])).toBe(1);
      expect((await deadLetters.listDeadLetters(10)).map((l) => l.job.data.imageId)).toEqual(['b']);
      expect(await receiveAll(30)).toEqual([expect.objectContaining({ job: job('a'), receiveCount: 1 })]);

      expect(await deadLetters.redrive()).toBe(1);
      expect(await deadLetters.listDeadLetters(10)).toEqual([]);
      expect(await receiveAll(30)).toEqual([expect.objectContaining({ job: job('b'), receiveCount: 1 })]);
    });

    it('redrives a job the queue dead-lettered by itself', async () => {
      await queue.send(job('img-1'));
      for (let attempt = 1; attempt <= MAX_RECEIVES; attempt++)
        await queue.changeVisibility((await receiveOne(1)).receiptHandle, 0);
      expect(await receive(1)).toEqual([]);
      const [letter] = await deadLetters.listDeadLetters(10);
      expect(await deadLetters.redrive([letter?.id as string])).toBe(1);
      expect(await receiveOne(1)).toMatchObject({ job: job('img-1'), receiveCount: 1 });
    });
  });

  describe('Method: deleteJobsFor', () => {
    it("reports how many of an image's jobs it dropped, and those are not delivered", async () => {
      await queue.send(job('gone'));
      await queue.send(job('kept'));
      const dropped = await queue.deleteJobsFor('gone');
      expect(dropped === 0 || dropped === 1).toBe(true);
      const delivered = (await receiveAll(30)).map((m) => m.job.data.imageId).sort();
      expect(delivered).toEqual(dropped === 1 ? ['kept'] : ['gone', 'kept']);
    });
  });
}
