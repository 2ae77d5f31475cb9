/**
 * An API Gateway management call failed for a reason the key routes cannot act on (network,
 * permissions, a usage plan that does not exist). The SDK's error stays attached as `cause`;
 * no SDK type crosses the port.
 */
export class ApiGatewayKeyStoreError extends Error {
  /** The API Gateway action that failed, e.g. `CreateApiKey`. */
  readonly operation: string;

  constructor(operation: string, cause: unknown) {
    const detail = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    super(`API Gateway ${operation} failed: ${detail}`, { cause });
    this.name = 'ApiGatewayKeyStoreError';
    this.operation = operation;
  }
}

/** True when API Gateway answered that the named key (or plan) does not exist. */
export function isNotFound(error: unknown): boolean {
  return error instanceof Error && error.name === 'NotFoundException';
}

/** Runs one API Gateway call, turning any SDK failure into an error naming the action. */
export async function callApiGateway<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new ApiGatewayKeyStoreError(operation, error);
  }
}

/** Like callApiGateway, but a NotFoundException answers `null` instead of throwing. */
export async function callOrNotFound<T>(operation: string, call: () => Promise<T>): Promise<T | null> {
  try {
    return await call();
  } catch (error) {
    if (isNotFound(error)) return null;
    throw new ApiGatewayKeyStoreError(operation, error);
  }
}
