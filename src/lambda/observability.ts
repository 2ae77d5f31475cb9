import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import type { Context } from 'aws-lambda';

/**
 * Powertools for one function: JSON logs with the request id and cold-start flag, metrics
 * as EMF lines CloudWatch turns into metrics without an API call, and X-Ray traces of the
 * handler and of every AWS SDK call. Service name and namespace come from the template's
 * POWERTOOLS_* variables; outside Lambda the tracer switches itself off.
 */
export interface Observability {
  logger: Logger;
  metrics: Metrics;
  tracer: Tracer;
  /** Runs one invocation inside a traced subsegment, with the logger's context, then flushes metrics. */
  invoke<R>(context: Context | undefined, run: () => Promise<R>): Promise<R>;
}

export function createObservability(functionName: string): Observability {
  const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? 'serverless-image-api';
  const logger = new Logger({ serviceName, persistentKeys: { function: functionName } });
  const metrics = new Metrics({
    serviceName,
    namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'ServerlessImageApi',
    defaultDimensions: { function: functionName },
  });
  const tracer = new Tracer({ serviceName });
  let coldStart = true;

  async function invoke<R>(context: Context | undefined, run: () => Promise<R>): Promise<R> {
    if (context) logger.addContext(context);
    if (coldStart) metrics.captureColdStartMetric(functionName);
    coldStart = false;
    const parent = tracer.isTracingEnabled() ? tracer.getSegment() : undefined;
    const segment = parent?.addNewSubsegment(`## ${functionName}`);
    if (segment) {
      tracer.setSegment(segment);
      tracer.annotateColdStart();
      tracer.addServiceNameAnnotation();
    }
    try {
      return await run();
    } catch (error) {
      if (segment) tracer.addErrorAsMetadata(error as Error);
      throw error;
    } finally {
      segment?.close();
      if (parent) tracer.setSegment(parent);
      // Only what was added: an empty flush logs a warning on every API request.
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
      logger.resetKeys();
    }
  }

  return { logger, metrics, tracer, invoke };
}
