import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { QueueDepth } from '../adapters/local/sqlite-job-queue.ts';
import type { JobOutcome } from '../core/processing.ts';
import type { RequestSample } from '../http/request-context.ts';
import type { MetricsExposition } from '../http/routes/ops.ts';

/** How a delivery of a job ended: the image's result when it ended for good, else the runner's action. */
export type JobEnd = 'completed' | 'failed' | 'skipped' | 'retry' | 'postpone' | 'dead-letter' | 'crashed';
const JOB_ENDS: readonly JobEnd[] = [
  'completed',
  'failed',
  'skipped',
  'retry',
  'postpone',
  'dead-letter',
  'crashed',
];

export interface LocalMetricsSources {
  /** Read at scrape time (one small SQL scan). */
  queueDepth: () => QueueDepth;
  /** Jobs the runner is working on now. */
  running: () => number;
}

/**
 * The local home's Prometheus metrics, in a registry of its own (not prom-client's global
 * one, so two servers in one process, as in the tests, do not share counts). Queue gauges
 * are read when scraped, never polled.
 */
export class LocalMetrics implements MetricsExposition {
  private readonly registry = new Registry();
  private readonly requests: Histogram<'method' | 'route' | 'status'>;
  private readonly jobs: Counter<'outcome'>;
  private readonly steps: Histogram<'step'>;

  constructor(sources: LocalMetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Histogram({
      name: 'imgapi_http_request_duration_seconds',
      help: 'Time to answer an HTTP request, by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      // Up to 25 s: status long-polls wait up to 20 s.
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25],
      registers,
    });
    this.jobs = new Counter({
      name: 'imgapi_jobs_total',
      help: 'Deliveries of image-processing jobs, by how they ended: completed, failed (for good, no retry), skipped (image gone or already done), retry, postpone (disk full, attempt not counted), dead-letter (failed after the last attempt), crashed (worker broke; delivered again after the lease)',
      labelNames: ['outcome'],
      registers,
    });
    // Every outcome from the start, at 0: a rate() over a series that appears late misses its first increase.
    for (const outcome of JOB_ENDS) this.jobs.inc({ outcome }, 0);
    this.steps = new Histogram({
      name: 'imgapi_processing_step_duration_seconds',
      help: 'Time of each step of processing a completed image (decode, thumbnails, webp, analysis models, …)',
      labelNames: ['step'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    // One read of the jobs table per scrape sets both gauges: the queue's is registered first,
    // and prom-client collects metrics in registration order.
    let deadLetters: Gauge | undefined;
    new Gauge({
      name: 'imgapi_queue_depth',
      help: 'Jobs in the processing queue: ready to run, running, or waiting (a retry backing off, a postpone, or a lease from a previous process running out)',
      labelNames: ['state'],
      registers,
      collect() {
        const depth = sources.queueDepth();
        const running = sources.running();
        this.set({ state: 'ready' }, depth.ready);
        this.set({ state: 'running' }, running);
        this.set({ state: 'waiting' }, Math.max(0, depth.invisible - running));
        deadLetters?.set(depth.deadLetters);
      },
    });
    deadLetters = new Gauge({
      name: 'imgapi_dead_letter_depth',
      help: 'Jobs in the dead-letter queue (GET /jobs/dead-letters lists them)',
      registers,
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  observeRequest(sample: RequestSample): void {
    this.requests.observe(
      { method: sample.method, route: sample.route, status: String(sample.status) },
      sample.seconds,
    );
  }

  /** Counts one delivery's end and, for a completed image, the time of each of its steps. */
  jobEnded(outcome: JobOutcome | 'crashed'): void {
    if (outcome === 'crashed') {
      this.jobs.inc({ outcome });
      return;
    }
    this.jobs.inc({ outcome: outcome.action === 'delete' ? outcome.result : outcome.action });
    // Step durations of completed images only: a failed one's last step did not finish.
    if (outcome.action !== 'delete' || outcome.result !== 'completed' || !outcome.steps) return;
    for (const [step, ms] of Object.entries(outcome.steps.ms)) this.steps.observe({ step }, ms / 1000);
  }
}
