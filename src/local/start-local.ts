import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createAdaptorServer } from '@hono/node-server';
import type { Logger } from 'pino';
import { Piscina } from 'piscina';
import { DiskSpace } from '../adapters/local/disk-space.ts';
import { FsBlobStore } from '../adapters/local/fs-blob-store.ts';
import { HmacSignedUrls } from '../adapters/local/hmac-signed-urls.ts';
import { InProcessImageEvents } from '../adapters/local/in-process-image-events.ts';
import { SharedImageVersions } from '../adapters/local/shared-image-versions.ts';
import { openDatabase, pingDatabase } from '../adapters/local/sqlite-database.ts';
import { SqliteImageRepository } from '../adapters/local/sqlite-image-repository.ts';
import { SqliteJobQueue } from '../adapters/local/sqlite-job-queue.ts';
import { SqliteKeyStore } from '../adapters/local/sqlite-key-store.ts';
import { SqliteWebhookStore } from '../adapters/local/sqlite-webhook-store.ts';
import { requeueStrandedUploads, unprocessedImages } from '../adapters/local/stranded-uploads.ts';
import { createCore, processingSettingsFrom } from '../core/create-core.ts';
import type { CoreDeps } from '../core/deps.ts';
import { TRANSITIONS } from '../core/image-state.ts';
import type { JobOutcome } from '../core/processing.ts';
import { sweepExpired } from '../core/sweeper.ts';
import { TokenBuckets } from '../core/token-bucket.ts';
import { outputRoomFor } from '../core/upload.ts';
import { DELIVERY_RETENTION_MS } from '../core/webhooks.ts';
import { type App, createApp, type HealthCheck } from '../http/app.ts';
import { requireApiKey } from '../http/auth.ts';
import { imageEventFor } from '../http/image-event.ts';
import { ResponseCache } from '../http/response-cache.ts';
import { systemClock } from '../ports/clock.ts';
import { type JobHandler, JobRunner } from '../worker/job-runner.ts';
import type { WorkerSettings, WorkerTask } from '../worker/process-worker.ts';
import { type AdminKeyOrigin, ensureAdminKey } from './admin-key.ts';
import { type Config, urlFor } from './config.ts';
import { galleryDir, swaggerUiDir } from './docs-assets.ts';
import { LocalMetrics } from './metrics.ts';
import { LocalReadiness } from './readiness.ts';
import { loadSigningSecret } from './secrets.ts';
import { deprioritiseBackgroundThreads } from './thread-priority.ts';
import { startTracing } from './tracing.ts';
import { WebhookDispatcher } from './webhook-dispatcher.ts';

/**
 * How long a drain waits for the last spans to reach the collector: a dead or hung one must
 * not hold up an exit that a process manager is timing (the exporter's own timeout is 10 s).
 */
const TRACE_FLUSH_TIMEOUT_MS = 3000;

export interface LocalServer {
  url: string;
  /** Where the admin key came from; a generated one is shown once, by the caller. */
  adminKey: AdminKeyOrigin;
  core: CoreDeps;
  /** Signs and checks the /uploads and /files URLs. */
  signedUrls: HmacSignedUrls;
  /** The HTTP app, for tests that inspect its routes. */
  app: App;
  runner: JobRunner;
  webhooks: WebhookDispatcher;
  /** Drains: stops accepting requests and jobs, waits for running jobs, closes everything. */
  close(): Promise<void>;
}

/** Wires the embedded home: SQLite, files on disk, SQLite queue, worker-thread pool. */
export async function startLocal(
  config: Config,
  logger: Logger,
  options: { logHealth?: () => HealthCheck } = {},
): Promise<LocalServer> {
  // Null unless OTEL_EXPORTER_OTLP_ENDPOINT is set: then, and only then, the SDK is loaded.
  const tracing = await startTracing(config.OTEL_EXPORTER_OTLP_ENDPOINT, logger);
  const dataDir = resolve(config.DATA_DIR);
  mkdirSync(dataDir, { recursive: true });
  // Read before anything is written, so that a start on a full disk refuses uploads at once.
  const disk = new DiskSpace(dataDir, config.MIN_FREE_DISK_MB * 2 ** 20, () => runner.wake());
  await disk.start();
  const db = openDatabase(join(dataDir, 'db.sqlite'));
  // Room for the outputs of every image still to be processed (also those accepted before a
  // restart), from the database now and every 30 s: holds are kept as uploads arrive and
  // jobs end, and this mends any that were missed.
  const holdForBacklog = () =>
    disk.holdExactly(
      unprocessedImages(db).map(({ imageId, size }) => ({ imageId, bytes: outputRoomFor(size) })),
    );
  holdForBacklog();
  const backlogTimer = setInterval(holdForBacklog, 30_000);
  backlogTimer.unref();
  const clock = systemClock;
  const keys = new SqliteKeyStore(db);
  const queue = new SqliteJobQueue(db, clock, config.JOB_MAX_ATTEMPTS);
  // Known only once listening when PORT is 0 (tests); no URL is signed before that.
  let baseUrl = config.PUBLIC_URL ?? '';
  const blobs = new FsBlobStore(join(dataDir, 'files'));
  // One server owns a DATA_DIR; before its workers start, any temp file is a crash leftover.
  await blobs.removeTempFiles();
  const events = new InProcessImageEvents();
  // Shared with the worker threads, whose repositories bump it as they process images.
  const versions = new SharedImageVersions();
  const signedUrls = new HmacSignedUrls(loadSigningSecret(dataDir, config.SIGNING_SECRET), () => baseUrl);
  const core = createCore(
    {
      repo: new SqliteImageRepository(db, versions),
      blobs,
      queue,
      deadLetters: queue,
      urls: signedUrls,
      clock,
      events,
      storage: disk,
    },
    config,
  );
  const workerData: WorkerSettings = {
    dataDir,
    ...processingSettingsFrom(config),
    analyses: config.ANALYSIS,
    libvipsThreads: Math.max(1, Math.floor(availableParallelism() / config.WORKERS)),
    minFreeDiskBytes: config.MIN_FREE_DISK_MB * 2 ** 20,
    versions: versions.buffer,
  };
  const pool = new Piscina<WorkerTask, JobOutcome>({
    filename: new URL('../worker/entry.mjs', import.meta.url).href,
    // Every worker starts with the server: a thread's first job would otherwise also pay for
    // starting it and loading sharp and our modules (hundreds of ms each, per thread).
    minThreads: config.WORKERS,
    maxThreads: config.WORKERS,
    idleTimeout: Number.POSITIVE_INFINITY,
    workerData,
  });
  const webhookStore = new SqliteWebhookStore(db);
  const webhooks = new WebhookDispatcher({
    store: webhookStore,
    clock,
    logger: logger.child({ component: 'webhooks' }),
    allowPrivate: config.WEBHOOK_ALLOW_PRIVATE,
    retryBaseMs: config.WEBHOOK_RETRY_BASE_MS,
  });
  // A job that ended for good: tell the image's tenant, with the image as GET /images/{id} shows it.
  const publishing = new Set<Promise<void>>();
  const publishImageEvent = (imageId: string) => {
    const published = queueImageEvent(imageId).finally(() => publishing.delete(published));
    publishing.add(published);
  };
  const queueImageEvent = async (imageId: string) => {
    try {
      const event = await imageEventFor(core, imageId, clock.now());
      if (event) await webhooks.publish(event);
    } catch (err) {
      logger.error({ err, imageId }, 'could not queue webhook deliveries');
    }
  };
  const metrics = new LocalMetrics({ queueDepth: () => queue.depth(), running: () => runner.activeJobs });
  const readiness = new LocalReadiness({
    pingDatabase: () => pingDatabase(db),
    dataDir,
    storage: () => disk.report(),
  });
  const runJob: JobHandler = (job, attempt) => {
    // Threads appear as work starts (libuv's pool, libvips' own); catch them each time.
    deprioritiseBackgroundThreads(config.PROCESSING_NICE);
    return pool.run({ job, attempt });
  };
  const runner = new JobRunner({
    queue,
    handler: tracing ? tracing.traceJobs(runJob) : runJob,
    concurrency: config.WORKERS,
    visibilityTimeoutSeconds: config.JOB_VISIBILITY_TIMEOUT,
    logger: logger.child({ component: 'jobs' }),
    onJobEnded: (job, outcome) => {
      events.changed(job.data.imageId);
      metrics.jobEnded(outcome);
      // Finished for good: the room held for its outputs is either used or not needed.
      const action = outcome === 'crashed' ? outcome : outcome.action;
      if (action === 'delete' || action === 'dead-letter') {
        disk.release(job.data.imageId);
        publishImageEvent(job.data.imageId);
      }
    },
    // Every job would fail for want of space, each delivery counting: wait for space instead.
    paused: () => disk.isFull,
    onStorageFull: () => disk.reportFull(),
    onPostpone: async (job, attempt) => {
      await core.repo.transition(job.data.imageId, TRANSITIONS.postpone(attempt, clock.now()));
    },
  });
  core.onJobQueued = () => runner.wake();
  if (tracing) core.traceparent = tracing.traceparent;

  const app = createApp({
    core,
    keys,
    authenticate: requireApiKey(keys, new TokenBuckets(), clock),
    readCache: new ResponseCache(versions, config.READ_CACHE_MB * 1024 * 1024),
    webhooks: { store: webhookStore, settings: { allowPrivate: config.WEBHOOK_ALLOW_PRIVATE } },
    keyDefaults: {
      rateLimitRps: config.RATE_LIMIT_RPS,
      rateLimitBurst: config.RATE_LIMIT_BURST,
      dailyQuota: config.DAILY_QUOTA,
    },
    corsOrigins: config.CORS_ORIGINS,
    localFiles: signedUrls,
    publicUrl: () => baseUrl,
    logger,
    healthChecks: () => ({
      storage: { ...disk.report() },
      ...(options.logHealth ? { log: options.logHealth() } : {}),
    }),
    ops: { readiness: readiness.check, metrics, metricsPublic: config.METRICS_PUBLIC },
    docsAssetsDir: swaggerUiDir(),
    galleryAssetsDir: galleryDir(),
    // Nothing else logs requests here (on AWS, API Gateway and Lambda do).
    accessLogLevel: 'info',
    observeRequest: (sample) => metrics.observeRequest(sample),
    tracer: tracing?.requests,
  });
  const server = createAdaptorServer({ fetch: app.fetch });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(config.PORT, config.HOST, () => done());
  });
  // Only now, with the port ours: a key generated by a start that then failed to listen
  // would be stored but never shown, locking the owner out.
  const adminKey = await ensureAdminKey(keys, {
    apiKey: config.API_KEY,
    now: clock.now(),
    rateLimitRps: config.RATE_LIMIT_RPS,
    rateLimitBurst: config.RATE_LIMIT_BURST,
  });
  const url = urlFor(config.HOST, (server.address() as AddressInfo).port);
  baseUrl = config.PUBLIC_URL ?? url;
  runner.start();
  // Deliveries left pending by the previous run are sent now.
  webhooks.start();

  const sweep = async () => {
    try {
      const removed = await sweepExpired(core);
      if (removed > 0) logger.info({ removed }, 'swept expired images');
      const pruned = webhookStore.pruneFinished(clock.now() - DELIVERY_RETENTION_MS);
      if (pruned > 0) logger.info({ pruned }, 'removed finished webhook deliveries past retention');
      const requeued = await requeueStrandedUploads(db, queue, clock.now() - 60_000);
      if (requeued > 0) {
        logger.warn({ requeued }, 're-enqueued uploaded images that had no job');
        runner.wake();
      }
    } catch (err) {
      logger.error({ err }, 'sweep failed');
    }
  };
  const sweeper = setInterval(sweep, config.SWEEP_INTERVAL_SECONDS * 1000);
  sweeper.unref();
  void sweep();

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      // First: /ready says "draining", so a load balancer stops sending. With a drain delay
      // the server goes on serving meanwhile (requests it already routed here, and health
      // checks until it notices); only then does it stop listening.
      readiness.drain();
      if (config.DRAIN_DELAY_SECONDS > 0) {
        logger.info(
          { seconds: config.DRAIN_DELAY_SECONDS },
          'not ready; still serving for DRAIN_DELAY_SECONDS',
        );
        await sleep(config.DRAIN_DELAY_SECONDS * 1000);
      }
      clearInterval(sweeper);
      clearInterval(backlogTimer);
      const stopped = new Promise<void>((done) => server.close(() => done()));
      (server as Server).closeIdleConnections();
      // Status long-polls answer now with what they have, so draining does not wait on them.
      events.close();
      await runner.stop(config.SHUTDOWN_GRACE_SECONDS * 1000);
      await pool.destroy();
      // After the runner: the last jobs' events are queued (sent on the next start).
      await Promise.all(publishing);
      await webhooks.stop();
      await stopped;
      disk.stop();
      db.close();
      // Last, so the spans of the final requests and jobs go too.
      await tracing?.shutdown(TRACE_FLUSH_TIMEOUT_MS);
    })();
    return closing;
  };

  return { url, adminKey, core, app, signedUrls, runner, webhooks, close };
}
