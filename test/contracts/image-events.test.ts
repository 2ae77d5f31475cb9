import { describe } from 'vitest';
import { InProcessImageEvents } from '../../src/adapters/local/in-process-image-events.ts';
import { imageEventsContract } from './image-events.contract.ts';

// Both homes use this adapter: locally the job runner reports each job's end; in a Lambda
// nothing reports jobs that ran elsewhere, so waiters time out every second and re-read
// the record (awaitFinished), which is what a DynamoDB-backed waiter would do anyway.
describe('ImageEvents contract › InProcessImageEvents (both homes)', () => {
  imageEventsContract(() => new InProcessImageEvents());
});
