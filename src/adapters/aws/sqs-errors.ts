/**
 * An SQS call failed for a reason the queue's callers cannot act on (network, permissions,
 * a queue that does not exist). The SDK's error stays attached as `cause`; no SDK type
 * crosses the port.
 */
export class SqsQueueError extends Error {
  /** The SQS API action that failed, e.g. `SendMessage`. */
  readonly operation: string;

  constructor(operation: string, cause: unknown) {
    const detail = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    super(`SQS ${operation} failed: ${detail}`, { cause });
    this.name = 'SqsQueueError';
    this.operation = operation;
  }
}

// What SQS answers when a receipt handle no longer names a lease we hold: malformed,
// superseded, for a deleted message, or (for ChangeMessageVisibility) not in flight.
const LEASE_GONE = new Set(['ReceiptHandleIsInvalid', 'MessageNotInflight', 'InvalidIdFormat']);

/** True when SQS refused a receipt handle: the port answers `false` for that, not an error. */
export function isLeaseGone(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (LEASE_GONE.has(error.name)) return true;
  // AWS reports an expired handle as a bad parameter: "… Reason: The receipt handle has expired."
  return error.name === 'InvalidParameterValue' && /receipt ?handle/i.test(error.message);
}

/** Runs one SQS call, turning any SDK failure into an SqsQueueError naming the action. */
export async function callSqs<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new SqsQueueError(operation, error);
  }
}

/** Runs one SQS call on a lease: true if SQS accepted it, false if it refused the handle. */
export async function callOnLease(operation: string, call: () => Promise<unknown>): Promise<boolean> {
  try {
    await call();
    return true;
  } catch (error) {
    if (isLeaseGone(error)) return false;
    throw new SqsQueueError(operation, error);
  }
}
