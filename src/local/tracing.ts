import type { Logger } from 'pino';
import type { RequestTracer } from '../http/request-context.ts';
import type { JobHandler } from '../worker/job-runner.ts';

/** Traces for the local home: what start-local wires in when OTEL_EXPORTER_OTLP_ENDPOINT is set. */
export interface Tracing {
  /** A server span per request. */
  requests: RequestTracer;
  /** Wraps the job handler: a `process image` span per delivery, a child span per step. */
  traceJobs(handler: JobHandler): JobHandler;
  /** The `traceparent` of the request being served, for the job it enqueues. */
  traceparent(): string | undefined;
  /** Sends the spans still buffered, waiting at most `timeoutMs` (a dead collector must not hold up exit). */
  shutdown(timeoutMs: number): Promise<void>;
}

/**
 * OpenTelemetry tracing when `endpoint` is set, else null. The SDK is imported only then:
 * a server that does not trace loads none of it (it is an optional dependency, and loading
 * it took ~250 ms and ~19 MB of RSS here).
 */
export async function startTracing(endpoint: string | undefined, logger: Logger): Promise<Tracing | null> {
  if (!endpoint) return null;
  let otel: typeof import('./otel/otel-tracing.ts');
  try {
    otel = await import('./otel/otel-tracing.ts');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    throw new Error(
      'OTEL_EXPORTER_OTLP_ENDPOINT is set, but the OpenTelemetry packages are not installed ' +
        '(they are optional dependencies: install without --omit=optional, or unset the variable)',
      { cause: error },
    );
  }
  return otel.startOtelTracing(logger);
}
