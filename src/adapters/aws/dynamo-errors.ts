/**
 * A DynamoDB call failed for a reason the repository cannot answer for (throttling, the
 * network, a malformed request): the message names the operation and the SDK's error is
 * only the `cause`, so no SDK type reaches the core.
 */
export class DynamoStoreError extends Error {
  constructor(operation: string, cause: unknown) {
    const reason = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    super(`DynamoDB ${operation} failed: ${reason}`, { cause });
    this.name = 'DynamoStoreError';
  }
}

const nameOf = (error: unknown) => (error instanceof Error ? error.name : '');

/**
 * Whether a write was refused by its condition. For a transaction, only the condition of
 * its first item counts (the image item, whose condition guards the whole write); a
 * conflict with another transaction is a failure to retry, not a refusal.
 */
function conditionFailed(error: unknown): boolean {
  if (nameOf(error) === 'ConditionalCheckFailedException') return true;
  if (nameOf(error) !== 'TransactionCanceledException') return false;
  const reasons = (error as { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons;
  return reasons?.[0]?.Code === 'ConditionalCheckFailed';
}

/** Runs one DynamoDB call, translating its errors (names matched, so two SDK copies cannot fool instanceof). */
export async function dynamoCall<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new DynamoStoreError(operation, error);
  }
}

/** Runs one conditional DynamoDB write: null when its condition did not hold. */
export async function conditionalCall<T>(operation: string, call: () => Promise<T>): Promise<T | null> {
  try {
    return await call();
  } catch (error) {
    if (conditionFailed(error)) return null;
    throw new DynamoStoreError(operation, error);
  }
}
