import {
  type Context,
  defaultTextMapGetter,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { JobOutcome, StepTimings } from '../../core/processing.ts';
import type { JobHandler } from '../../worker/job-runner.ts';

/**
 * A `process image` span per delivery, in the trace of the upload that queued it (the
 * `traceparent` stored with the job), and a child span per step. The steps run in a worker
 * thread; rather than a second SDK and exporter in every thread, the worker reports when
 * each step ran (StepTimings) and the spans are drawn here from that. Durations are the
 * worker's; the steps are laid end to end from the first one's start, so the few database
 * writes between steps shift the later ones by a millisecond or so.
 */
export function traceJobs(tracer: Tracer, handler: JobHandler): JobHandler {
  return async (job, attempt) => {
    const span = tracer.startSpan(
      'process image',
      {
        kind: SpanKind.CONSUMER,
        attributes: { 'image.id': job.data.imageId, 'job.attempt': attempt },
      },
      uploadContext(job.data.traceparent),
    );
    let outcome: JobOutcome;
    try {
      outcome = await handler(job, attempt);
    } catch (error) {
      // The handler itself broke (a worker thread died): the runner logs it and retries.
      span.setAttribute('job.outcome', 'crashed');
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'job handler crashed' });
      span.end();
      throw error;
    }
    const stepsEnd = outcome.steps ? drawSteps(tracer, span, outcome.steps, reasonOf(outcome)) : 0;
    endJobSpan(span, outcome, stepsEnd);
    return outcome;
  };
}

function uploadContext(traceparent: string | undefined): Context {
  if (!traceparent) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, { traceparent }, defaultTextMapGetter);
}

/** Draws a child span per step, end to end from the job's start; returns when the last ends. */
function drawSteps(tracer: Tracer, parent: Span, steps: StepTimings, reason: string | undefined): number {
  const context = trace.setSpan(ROOT_CONTEXT, parent);
  let start = steps.startedAt;
  for (const [name, ms] of Object.entries(steps.ms)) {
    const span = tracer.startSpan(name, { startTime: start }, context);
    if (name === steps.failed) {
      if (reason) span.recordException({ name: 'ProcessingError', message: reason });
      span.setStatus({ code: SpanStatusCode.ERROR, ...(reason ? { message: reason } : {}) });
    }
    start += ms;
    span.end(start);
  }
  return start;
}

/**
 * Ends the job's span, never before its last step: step times are whole milliseconds laid
 * end to end, so they can run a millisecond or two past the precise now.
 */
function endJobSpan(span: Span, outcome: JobOutcome, notBefore: number): void {
  const label = outcome.action === 'delete' ? outcome.result : outcome.action;
  span.setAttribute('job.outcome', label);
  const reason = reasonOf(outcome);
  // A retry or a postponement is not the end of the image, but this delivery failed.
  if (label !== 'completed' && label !== 'skipped') {
    span.setStatus({ code: SpanStatusCode.ERROR, ...(reason ? { message: reason } : {}) });
  }
  span.end(Math.max(performance.timeOrigin + performance.now(), notBefore));
}

function reasonOf(outcome: JobOutcome): string | undefined {
  return 'reason' in outcome ? outcome.reason : undefined;
}
