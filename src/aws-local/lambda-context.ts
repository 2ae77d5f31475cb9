import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

/** The Context Lambda hands a handler: what Powertools and Hono's adapter read from it. */
export function lambdaContext(functionName: string, timeoutMs: number, memoryMb: number): Context {
  const deadline = Date.now() + timeoutMs;
  const awsRequestId = randomUUID();
  const unsupported = () => {
    throw new Error('callback-style completion is not used by our handlers');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: String(memoryMb),
    awsRequestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/${awsRequestId}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}
