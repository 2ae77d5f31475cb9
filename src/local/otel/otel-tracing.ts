import { DiagLogLevel, diag, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import {
  defaultResource,
  detectResources,
  envDetector,
  resourceFromAttributes,
} from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { Logger } from 'pino';
import { API_VERSION } from '../../version.ts';
import type { Tracing } from '../tracing.ts';
import { sdkLogger } from './export-errors.ts';
import { traceJobs } from './job-spans.ts';
import { currentTraceparent, otelRequestTracer } from './request-spans.ts';

/**
 * The SDK set up as its documentation describes, leaving every standard OTEL_* variable to
 * it: the exporter reads OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT, _HEADERS and _TIMEOUT, the
 * provider OTEL_TRACES_SAMPLER(_ARG) and the span limits, the batch processor OTEL_BSP_*,
 * and the env detector OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, which override our
 * defaults. register() installs the AsyncLocalStorage context manager (how a job learns the
 * request that queued it) and the W3C trace-context propagator.
 */
export function startOtelTracing(logger: Logger): Tracing {
  diag.setLogger(sdkLogger(logger), { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
  const resource = defaultResource()
    .merge(
      resourceFromAttributes({
        [ATTR_SERVICE_NAME]: 'serverless-image-api',
        [ATTR_SERVICE_VERSION]: API_VERSION,
      }),
    )
    .merge(detectResources({ detectors: [envDetector] }));
  const provider = new NodeTracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  provider.register();
  const tracer = trace.getTracer('serverless-image-api', API_VERSION);
  logger.info({ service: resource.attributes[ATTR_SERVICE_NAME] }, 'tracing: sending spans over OTLP/HTTP');

  return {
    requests: otelRequestTracer(tracer),
    traceJobs: (handler) => traceJobs(tracer, handler),
    traceparent: currentTraceparent,
    async shutdown(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const gaveUp = new Promise<'timeout'>((done) => {
        timer = setTimeout(() => done('timeout'), timeoutMs);
      });
      const flushed = provider.shutdown().then(
        () => 'flushed' as const,
        () => 'failed' as const,
      );
      const result = await Promise.race([flushed, gaveUp]);
      clearTimeout(timer);
      if (result !== 'flushed') logger.warn({ timeoutMs, result }, 'tracing: spans not all sent before exit');
    },
  };
}
