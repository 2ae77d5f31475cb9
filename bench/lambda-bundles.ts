import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { type AttributeValue, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { IMAGE_SK } from '../src/adapters/aws/dynamo-image-items.ts';
import { IMAGE_TABLE } from '../src/adapters/aws/dynamo-table.ts';
import { createS3Client } from '../src/adapters/aws/s3-client.ts';
import { type AwsHome, createAwsHome } from '../src/aws/aws-home.ts';
import { loadAwsConfig } from '../src/aws/config.ts';
import { provisionStack } from '../src/aws-local/provision.ts';
import { getImage } from '../src/core/images.ts';
import { createUpload } from '../src/core/upload.ts';
import { scaledPhoto } from '../test/helpers/images.ts';
import {
  API_FUNCTIONS,
  FUNCTIONS,
  functionEnv,
  type ProbeResult,
  probeBundle,
  ROOT,
  restEvent,
  runBundler,
} from '../test/helpers/lambda-bundles.ts';
import { startMoto } from '../test/helpers/moto.ts';
import { machine, median, round } from './lib.ts';

/**
 * The Lambda functions as they would be deployed (issue #13, "Measured and documented"):
 *
 * 1. Size of each function from scripts/bundle-lambdas.mjs: index.mjs, all its code, the
 *    folder, and the zip SAM would upload.
 * 2. Cold init: `await import()` of the bundle in a fresh node process with the function's
 *    environment and `--enable-source-maps` (the template's NODE_OPTIONS), median of
 *    BENCH_RUNS (7); the whole process's wall time too; for the API functions the first
 *    GET /health, for the process function its first (empty) batch, which waits for its init
 *    (sharp). Variants: admin with the AWS SDK external, admin without source maps, process
 *    with ANALYSIS_PROVIDER=local. Variants alternate run by run, so drift hits them all.
 * 3. 12 MP JPEGs (4240×2832, a test photo enlarged, q90) through the *bundled* process handler,
 *    for each analysis provider: none; rekognition, answered instantly by a stub (Rekognition
 *    cannot be reached from here: its latency is not in the times, its calls are counted);
 *    local. The handler runs in a child process that plays the Lambda container (pinned to
 *    one CPU with taskset: 2048 MB of Lambda is ~1.16 vCPU), fed real SQS messages from
 *    moto_server like the event source mapping feeds it. Two images per container: the
 *    first after a cold start, the second warm. Every AWS request crosses a counting proxy.
 * 4. Costs per 1,000 and 1,000,000 images from AWS's public prices (PRICES), at the measured
 *    warm durations and counted requests.
 */
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const PROVIDERS = (process.env.BENCH_PROVIDERS ?? 'none,rekognition,local').split(',');
const IMAGES_PER_CONTAINER = 2;
const TENANT = 'bench-tenant';

/** The template's ProcessFunction memory (issue #13); the API functions' is an assumption. */
const PROCESS_MEMORY_MB = 2048;
const API_MEMORY_MB = 512;

/**
 * us-east-1, on-demand, first pricing tier, free tiers left out. Checked 2026-11-27 with the
 * search tool: Lambda (AWS whitepaper "How AWS Pricing Works": $0.20 per 1M requests,
 * $0.00001667 per GB-s; the x86 figure to more digits and arm64 from third-party copies of
 * aws.amazon.com/lambda/pricing), API Gateway REST (AWS whitepaper on private APIs: $3.50 per
 * 1M, first 333M), DynamoDB on-demand ($0.625 per 1M WRU, $0.125 per 1M RRU; third-party
 * pages, consistent with the November 2024 price cut; unit sizes from AWS's whitepaper),
 * S3 Standard ($0.023 per GB-month, $0.005 per 1,000 PUT/COPY/POST/LIST, $0.0004 per 1,000
 * GET; third-party pages), SQS standard ($0.40 per 1M requests, each 64 KB a request;
 * third-party pages), Rekognition Image DetectLabels/DetectFaces/DetectModerationLabels/
 * DetectText/RecognizeCelebrities ($0.001 per image for the first 1M per API per month; a
 * transcription of aws.amazon.com/rekognition/pricing dated 2026-10-07, not AWS's page itself).
 */
const PRICES = {
  lambdaGbSecond: 0.0000166667,
  lambdaRequest: 0.2 / 1e6,
  apiGatewayRestRequest: 3.5 / 1e6,
  s3StandardGbMonth: 0.023,
  s3PutClassRequest: 0.005 / 1000,
  s3GetClassRequest: 0.0004 / 1000,
  dynamoWru: 0.625 / 1e6,
  dynamoRru: 0.125 / 1e6,
  sqsRequest: 0.4 / 1e6,
  rekognitionImage: 0.001,
};

const CLAIMS = {
  perImage: '5–10 s per image',
  api: 'API < 200 ms',
  monthly: '~$1.25 a month for 1,000 images',
};

const work = mkdtempSync(join(tmpdir(), 'bench-lambda-bundles-'));
const cleanups: Array<() => unknown> = [() => rmSync(work, { recursive: true, force: true })];
process.on('exit', () => {
  for (const cleanup of cleanups.reverse()) cleanup();
});

// ---------------------------------------------------------------------------------------------
// 1. Bundles and their sizes

const bundleStarted = performance.now();
runBundler('all', join(work, 'all'));
const bundleAllSeconds = (performance.now() - bundleStarted) / 1000;
// The AWS SDK left out, found at run time in node_modules as the runtime's own copy would be.
runBundler('admin', join(work, 'sdk-external', 'admin'), { LAMBDA_AWS_SDK: 'external' });
symlinkSync(join(ROOT, 'node_modules'), join(work, 'sdk-external', 'admin', 'node_modules'));
runBundler('process', join(work, 'local', 'process'), { ANALYSIS_PROVIDER: 'local' });

const HAVE_ZIP = (() => {
  try {
    execFileSync('which', ['zip'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

function filesUnder(dir: string): Array<{ path: string; bytes: number }> {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => {
      const path = join(entry.parentPath, entry.name);
      return { path: path.slice(dir.length + 1), bytes: statSync(path).size };
    });
}

/** Sizes of one function folder; symlinks (the SDK-external variant's node_modules) are not part of it. */
function sizes(dir: string) {
  const files = filesUnder(dir);
  const sum = (keep: (path: string) => boolean) =>
    files.filter((f) => keep(f.path)).reduce((total, f) => total + f.bytes, 0);
  let zipBytes: number;
  if (HAVE_ZIP) {
    const zip = join(work, `${randomName()}.zip`);
    execFileSync('zip', ['-qryX', zip, '.'], { cwd: dir });
    zipBytes = statSync(zip).size;
    rmSync(zip);
  } else {
    zipBytes = files.reduce((total, f) => total + gzipSync(readFileSync(join(dir, f.path))).length, 0);
  }
  return {
    indexBytes: statSync(join(dir, 'index.mjs')).size,
    codeBytes: sum((p) => p.endsWith('.mjs') && !p.startsWith('node_modules/')),
    sourceMapBytes: sum((p) => p.endsWith('.map') && !p.startsWith('node_modules/')),
    nodeModulesBytes: sum((p) => p.startsWith('node_modules/')),
    unpackedBytes: sum(() => true),
    zipBytes,
  };
}
const randomName = () => Math.random().toString(36).slice(2);

// ---------------------------------------------------------------------------------------------
// 2. Cold init

interface Variant {
  label: string;
  dir: string;
  event?: unknown;
  env?: Record<string, string>;
  sourceMaps?: boolean;
}
const firstEvent = (name: string) =>
  (API_FUNCTIONS as readonly string[]).includes(name)
    ? restEvent('GET', '/health')
    : name === 'process'
      ? { Records: [] }
      : undefined;
const variants: Variant[] = [
  ...FUNCTIONS.map((name) => ({ label: name, dir: join(work, 'all', name), event: firstEvent(name) })),
  { label: 'admin, AWS SDK external', dir: join(work, 'sdk-external', 'admin'), event: firstEvent('admin') },
  {
    label: 'admin, no --enable-source-maps',
    dir: join(work, 'all', 'admin'),
    event: firstEvent('admin'),
    sourceMaps: false,
  },
  {
    label: 'process, ANALYSIS_PROVIDER=local',
    dir: join(work, 'local', 'process'),
    event: { Records: [] },
    env: functionEnv({ ANALYSIS_PROVIDER: 'local' }),
  },
];
const probes = new Map<string, ProbeResult[]>(variants.map((v) => [v.label, []]));
console.error(`cold init: ${variants.length} variants × ${RUNS} fresh processes`);
for (let run = 0; run < RUNS; run++)
  for (const v of variants) {
    const probe = probeBundle(v.dir, {
      ...(v.event ? { event: v.event } : {}),
      ...(v.env ? { env: v.env } : {}),
      ...(v.sourceMaps === false ? { sourceMaps: false } : {}),
    });
    const invoke = probe.report?.invoke;
    if (probe.exitCode !== 0 || !probe.report || invoke?.error)
      throw new Error(`${v.label}: the bundle failed (${probe.exitCode}): ${invoke?.error ?? probe.stderr}`);
    probes.get(v.label)?.push(probe);
  }

function coldInit(label: string) {
  const runs = probes.get(label) ?? [];
  const importMs = runs.map((p) => p.report?.importMs ?? 0);
  const invokes = runs.flatMap((p) => (p.report?.invoke ? [p.report.invoke.ms] : []));
  return {
    importMsMedian: round(median(importMs)),
    importMsRuns: importMs.map((ms) => round(ms)),
    processWallMsMedian: round(median(runs.map((p) => p.wallMs))),
    ...(invokes.length ? { firstInvokeMsMedian: round(median(invokes)) } : {}),
  };
}

const functions = Object.fromEntries(
  FUNCTIONS.map((name) => [
    name,
    {
      ...sizes(join(work, 'all', name)),
      coldInit: coldInit(name),
      firstInvoke: (API_FUNCTIONS as readonly string[]).includes(name)
        ? 'GET /health'
        : name === 'process'
          ? 'empty SQS batch (waits for sharp)'
          : null,
    },
  ]),
);
const variantResults = {
  adminAwsSdkExternal: {
    ...sizes(join(work, 'sdk-external', 'admin')),
    coldInit: coldInit('admin, AWS SDK external'),
  },
  adminWithoutSourceMaps: { coldInit: coldInit('admin, no --enable-source-maps') },
  processLocalModels: {
    ...sizes(join(work, 'local', 'process')),
    coldInit: coldInit('process, ANALYSIS_PROVIDER=local'),
  },
};

// ---------------------------------------------------------------------------------------------
// 3. 12 MP images through the bundled process handler, against moto_server

/** Counts every AWS request passing through, by who sent it, service and operation. */
async function startCountingProxy(target: string) {
  /** `role service operation` → requests, and items for DynamoDB batches and transactions. */
  const counts = new Map<string, { requests: number; items: number }>();
  /** Every DynamoDB request's body, for its capacity units (DynamoDB bills units, not requests). */
  let dynamo: DynamoRequest[] = [];
  const REKOGNITION_EMPTY: Record<string, object> = {
    DetectLabels: { Labels: [] },
    DetectFaces: { FaceDetails: [] },
    DetectModerationLabels: { ModerationLabels: [] },
    DetectText: { TextDetections: [] },
    RecognizeCelebrities: { CelebrityFaces: [], UnrecognizedFaces: [] },
  };
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', 'http://proxy');
    const service =
      /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\//.exec(req.headers.authorization ?? '')?.[1] ??
      url.searchParams.get('X-Amz-Credential')?.split('/')[3] ??
      'unknown';
    const amzTarget = req.headers['x-amz-target'];
    const operation =
      typeof amzTarget === 'string'
        ? (amzTarget.split('.').pop() ?? amzTarget)
        : s3Operation(req.method ?? '', url, req.headers);
    const key = `${req.headers['x-bench-role'] ?? 'process'} ${service} ${operation}`;
    const entry = counts.get(key) ?? { requests: 0, items: 0 };
    entry.requests++;
    entry.items += itemsIn(operation, body);
    counts.set(key, entry);
    if (service === 'dynamodb')
      dynamo.push({
        role: String(req.headers['x-bench-role'] ?? 'process'),
        operation,
        body: JSON.parse(body.toString()),
      });
    if (service === 'rekognition') {
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify(REKOGNITION_EMPTY[operation] ?? {}));
      return;
    }
    const upstream = request(`${target}${req.url}`, { method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', (error) => {
      res.writeHead(502);
      res.end(String(error));
    });
    upstream.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    take(): { counts: Counts; dynamo: DynamoRequest[] } {
      const snapshot = { counts: Object.fromEntries([...counts].sort()), dynamo };
      counts.clear();
      dynamo = [];
      return snapshot;
    },
    close: () => server.close(),
  };
}
type Counts = Record<string, { requests: number; items: number }>;
interface DynamoRequest {
  role: string;
  operation: string;
  body: any;
}

/** A DynamoDB batch or transaction is one request of several items, each billed. */
function itemsIn(operation: string, body: Buffer): number {
  if (operation === 'TransactWriteItems') return JSON.parse(body.toString()).TransactItems.length;
  if (operation !== 'BatchWriteItem' && operation !== 'BatchGetItem') return 1;
  const requestItems = JSON.parse(body.toString()).RequestItems as Record<
    string,
    unknown[] | { Keys: unknown[] }
  >;
  return Object.values(requestItems).reduce<number>(
    (n, v) => n + (Array.isArray(v) ? v.length : v.Keys.length),
    0,
  );
}

function s3Operation(method: string, url: URL, headers: Record<string, unknown>): string {
  if (method === 'PUT') return headers['x-amz-copy-source'] ? 'CopyObject' : 'PutObject';
  if (method === 'GET') return url.searchParams.has('list-type') ? 'ListObjectsV2' : 'GetObject';
  if (method === 'HEAD') return 'HeadObject';
  if (method === 'DELETE') return 'DeleteObject';
  if (method === 'POST' && url.searchParams.has('delete')) return 'DeleteObjects';
  return `${method} ${url.pathname}`;
}

/** Sends every request of an SDK client with a role the counting proxy reads. */
const role =
  (name: string) =>
  <T>(client: T): T => {
    (client as any).middlewareStack.add(
      (next: any) => (args: any) => {
        args.request.headers['x-bench-role'] = name;
        return next(args);
      },
      { step: 'build', name: 'benchRole' },
    );
    return client;
  };

// The child that plays the Lambda container: imports the bundle, then runs batches sent over IPC.
const CONTAINER = `
import { readFileSync } from 'node:fs';
const peakRssMb = () => Number(/VmHWM:\\s+(\\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
const started = performance.now();
const { handler } = await import(process.argv[2]);
process.send({ kind: 'ready', importMs: performance.now() - started, rssMb: process.memoryUsage().rss / 2 ** 20 });
process.on('message', async (message) => {
  if (message.kind === 'exit') process.exit(0);
  const t = performance.now();
  try {
    const result = await handler(message.event, undefined);
    process.send({ kind: 'result', ms: performance.now() - t, result, peakRssMb: peakRssMb() });
  } catch (error) {
    process.send({ kind: 'result', ms: performance.now() - t, error: String(error?.stack ?? error), peakRssMb: peakRssMb() });
  }
});
`;
const containerScript = join(work, 'container.mjs');
writeFileSync(containerScript, CONTAINER);
const HAVE_TASKSET = (() => {
  try {
    execFileSync('which', ['taskset'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const PINNED_CPU = String(cpus().length - 1);

interface ContainerReply {
  kind: string;
  ms: number;
  importMs: number;
  rssMb: number;
  peakRssMb: number;
  result?: { batchItemFailures: unknown[] };
  error?: string;
}

function startContainer(dir: string, env: Record<string, string>) {
  const node = [process.execPath, '--enable-source-maps', containerScript, join(dir, 'index.mjs')];
  const command = HAVE_TASKSET ? ['taskset', '-c', PINNED_CPU, ...node] : node;
  const child: ChildProcess = spawn(command[0] as string, command.slice(1), {
    cwd: dir,
    env,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-8000);
  });
  const next = () =>
    new Promise<ContainerReply>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`the container exited (${code}):\n${stderr}`));
      child.once('exit', onExit);
      child.once('message', (reply) => {
        child.off('exit', onExit);
        resolve(reply as ContainerReply);
      });
    });
  return {
    ready: next(),
    async invoke(event: unknown): Promise<ContainerReply> {
      const reply = next();
      child.send({ kind: 'invoke', event });
      const result = await reply;
      if (result.error) throw new Error(`the handler failed: ${result.error}\n${stderr}`);
      return result;
    },
    stop() {
      child.send({ kind: 'exit' });
    },
  };
}

/** An SQS event as Lambda's event source mapping hands a batch to the function. */
function sqsEvent(messages: Message[], queueArn: string) {
  return {
    Records: messages.map((m) => ({
      messageId: m.MessageId,
      receiptHandle: m.ReceiptHandle,
      body: m.Body,
      attributes: {
        ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1',
        SentTimestamp: m.Attributes?.SentTimestamp ?? String(Date.now()),
        SenderId: 'AIDAIENQZJOLO23YVJ4VO',
        ApproximateFirstReceiveTimestamp: String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: m.MD5OfBody,
      eventSource: 'aws:sqs',
      eventSourceARN: queueArn,
      awsRegion: 'us-east-1',
    })),
  };
}

/** DynamoDB's item size (attribute names plus values), close enough for write units. */
function itemBytes(item: Record<string, AttributeValue>): number {
  const value = (v: AttributeValue): number => {
    if (v.S !== undefined) return Buffer.byteLength(v.S);
    if (v.N !== undefined) return Math.ceil(v.N.replace(/^-|\.|e.*$/gi, '').length / 2) + 1;
    if (v.B !== undefined) return v.B.length;
    if (v.M !== undefined)
      return 3 + Object.entries(v.M).reduce((t, [k, x]) => t + Buffer.byteLength(k) + value(x) + 1, 0);
    if (v.L !== undefined) return 3 + v.L.reduce((t, x) => t + value(x) + 1, 0);
    if (v.SS !== undefined) return v.SS.reduce((t, s) => t + Buffer.byteLength(s), 0);
    return 1;
  };
  return Object.entries(item).reduce((total, [name, v]) => total + Buffer.byteLength(name) + value(v), 0);
}

process.env.AWS_ACCESS_KEY_ID ??= 'dummy';
process.env.AWS_SECRET_ACCESS_KEY ??= 'dummy';
const moto = await startMoto();
cleanups.push(() => void moto.stop());
const proxy = await startCountingProxy(moto.endpoint);
cleanups.push(() => proxy.close());
const clientConfig = { region: 'us-east-1', endpoint: proxy.endpoint };
const setupS3 = role('setup')(createS3Client({ ...clientConfig, forcePathStyle: true }));
const setupSqs = role('setup')(new SQSClient(clientConfig));
const setupDynamo = role('setup')(new DynamoDBClient(clientConfig));
// What Lambda's event source mapping does: receive, hand over the batch, delete what succeeded.
const esmSqs = role('esm')(new SQSClient(clientConfig));

// The stack as `npm run start:aws-local` builds it from the template's settings: the
// notification is filtered to signed uploads (our own writes of variants notify nobody).
const stack = await provisionStack(
  {
    s3: setupS3,
    sqs: setupSqs,
    dynamo: setupDynamo,
    apiGateway: role('setup')(new APIGatewayClient(clientConfig)),
  },
  `bench-${randomName()}`.slice(0, 30),
  { rateLimitRps: 100, rateLimitBurst: 200, dailyQuota: 0 },
);
const bucket = stack.bucket;
const tableName = stack.table;
const queues = { queueUrl: stack.queueUrl, deadLetterQueueUrl: stack.deadLetterQueueUrl };
const queueArn =
  (
    await setupSqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queues.queueUrl, AttributeNames: ['QueueArn'] }),
    )
  ).Attributes?.QueueArn ?? '';
const jpeg = await scaledPhoto(4240, 2832, 90);

let esm = { receives: 0, deleteBatches: 0, messages: 0 };
/** Receives until a message `wanted` arrives; everything received on the way is in the batch, as on Lambda. */
async function receiveUntil(wanted: (m: Message) => boolean): Promise<Message[]> {
  const batch: Message[] = [];
  const deadline = Date.now() + 30_000;
  while (!batch.some(wanted)) {
    if (Date.now() > deadline)
      throw new Error(`no such message within 30 s; got ${batch.map((m) => m.Body)}`);
    const { Messages = [] } = await esmSqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queues.queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
      }),
    );
    // Lambda's pollers long-poll all the time: empty receives are a fixed cost, not this image's.
    if (Messages.length > 0) esm.receives++;
    esm.messages += Messages.length;
    batch.push(...Messages);
  }
  return batch;
}
async function deleteSucceeded(batch: Message[], failures: unknown[]) {
  const failed = new Set((failures as Array<{ itemIdentifier: string }>).map((f) => f.itemIdentifier));
  const done = batch.filter((m) => !failed.has(m.MessageId ?? ''));
  if (done.length === 0) return;
  esm.deleteBatches++;
  await esmSqs.send(
    new DeleteMessageBatchCommand({
      QueueUrl: queues.queueUrl,
      Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
    }),
  );
}
// Drain S3's s3:TestEvent (sent once, when the notification is configured).
for (let i = 0; i < 3; i++)
  await setupSqs
    .send(
      new ReceiveMessageCommand({ QueueUrl: queues.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    )
    .then(({ Messages = [] }) => deleteSucceeded(Messages, []));

/** Each image's DynamoDB request bodies (not printed). */
const dynamoRequests = new Map<string, DynamoRequest[]>();

async function oneImage(home: AwsHome, container: ReturnType<typeof startContainer>) {
  proxy.take();
  esm = { receives: 0, deleteBatches: 0, messages: 0 };
  let started = performance.now();
  const upload = await createUpload(home.core, TENANT, { fileName: 'photo.jpg', fileType: 'image/jpeg' });
  const createUploadMs = performance.now() - started;
  const put = await fetch(upload.uploadUrl, {
    method: 'PUT',
    body: jpeg,
    headers: { 'content-type': 'image/jpeg', 'x-bench-role': 'client' },
  });
  if (!put.ok) throw new Error(`PUT to the signed URL: ${put.status} ${await put.text()}`);

  const notices = await receiveUntil((m) =>
    decodeURIComponent(m.Body ?? '').includes(`${upload.imageId}/incoming`),
  );
  const notification = await container.invoke(sqsEvent(notices, queueArn));
  await deleteSucceeded(notices, notification.result?.batchItemFailures ?? []);
  const jobs = await receiveUntil((m) => (m.Body ?? '').includes(`"imageId":"${upload.imageId}"`));
  const job = await container.invoke(sqsEvent(jobs, queueArn));
  await deleteSucceeded(jobs, job.result?.batchItemFailures ?? []);

  started = performance.now();
  const image = await getImage(home.core, TENANT, upload.imageId);
  const getImageMs = performance.now() - started;
  if (image.status !== 'completed')
    throw new Error(`image ${upload.imageId} is ${image.status}: ${image.message}`);
  const { counts: requests, dynamo } = proxy.take();
  dynamoRequests.set(upload.imageId, dynamo);
  const listed = await setupS3.send(
    new ListObjectsV2Command({ Bucket: bucket, Prefix: `${TENANT}/${upload.imageId}/` }),
  );
  return {
    imageId: upload.imageId,
    notificationBatchMs: round(notification.ms),
    jobBatchMs: round(job.ms),
    peakRssMb: round(Math.max(notification.peakRssMb, job.peakRssMb)),
    api: { createUploadMs: round(createUploadMs), getImageMs: round(getImageMs) },
    eventSourceMapping: esm,
    awsRequests: requests,
    storedBytes: (listed.Contents ?? []).reduce((total, o) => total + (o.Size ?? 0), 0),
    storedObjects: (listed.Contents ?? []).map((o) => o.Key?.split('/').pop()),
    analysis: image.analysis ? Object.keys(image.analysis) : null,
  };
}

const processRuns: Record<string, unknown> = {};
const warm: Record<string, Awaited<ReturnType<typeof oneImage>>> = {};
for (const provider of PROVIDERS) {
  console.error(`12 MP images through the bundled process handler, ANALYSIS_PROVIDER=${provider}`);
  const env = {
    AWS_REGION: 'us-east-1',
    BUCKET_NAME: bucket,
    TABLE_NAME: tableName,
    QUEUE_URL: queues.queueUrl,
    DEAD_LETTER_QUEUE_URL: queues.deadLetterQueueUrl,
    ANALYSIS_PROVIDER: provider,
    AWS_ENDPOINT_URL: proxy.endpoint,
  };
  const home = createAwsHome(loadAwsConfig(env), role('api'));
  const dir = provider === 'local' ? join(work, 'local', 'process') : join(work, 'all', 'process');
  const container = startContainer(dir, functionEnv(env));
  const ready = await container.ready;
  const images = [];
  for (let i = 0; i < IMAGES_PER_CONTAINER; i++) images.push(await oneImage(home, container));
  container.stop();
  const last = images[images.length - 1];
  if (last) warm[provider] = last;
  processRuns[provider] = {
    container: { importMs: round(ready.importMs), rssAfterImportMb: round(ready.rssMb) },
    firstImageAfterColdStart: images[0],
    warmImage: last,
  };
}

// DynamoDB bills capacity units: every item as stored at the end gives the sizes and indexes
// an update or delete wrote to (writes are billed on the item's size, per 1 KB, plus each
// index the item is in; an index key an update changes is a delete and a put there).
const scanned = await setupDynamo.send(new ScanCommand({ TableName: tableName }));
const finalItems = new Map((scanned.Items ?? []).map((item) => [`${item.pk?.S}|${item.sk?.S}`, item]));
const INDEX_KEYS = IMAGE_TABLE.GlobalSecondaryIndexes.map((index) =>
  index.KeySchema.map((k) => k.AttributeName),
);
type Item = Record<string, AttributeValue>;
const indexesOf = (item: Item) =>
  INDEX_KEYS.filter((keys) => keys.every((k) => item[k] !== undefined)).length;
const writeUnits = (item: Item) => Math.ceil(itemBytes(item) / 1024) + indexesOf(item);
const stored = (key: Item) => finalItems.get(`${key.pk?.S}|${key.sk?.S}`);
const keyWriteUnits = (key: Item) => {
  const item = stored(key);
  return item ? writeUnits(item) : 1;
};
const readUnits = (key: Item, consistent: boolean) =>
  Math.max(1, Math.ceil(itemBytes(stored(key) ?? {}) / 4096)) * (consistent ? 1 : 0.5);

function capacityUnits(requests: DynamoRequest[]): { wru: number; rru: number } {
  let wru = 0;
  let rru = 0;
  for (const { role, operation, body } of requests) {
    if (role === 'setup') continue;
    if (operation === 'PutItem') wru += writeUnits(body.Item);
    if (operation === 'DeleteItem') wru += keyWriteUnits(body.Key);
    if (operation === 'UpdateItem') {
      const named = [body.UpdateExpression, ...Object.values(body.ExpressionAttributeNames ?? {})].join(' ');
      const movedIndexKeys = INDEX_KEYS.filter((keys) => keys.some((k) => named.includes(k))).length;
      wru += keyWriteUnits(body.Key) + movedIndexKeys;
    }
    if (operation === 'TransactWriteItems')
      for (const t of body.TransactItems)
        wru +=
          2 *
          (t.Put ? writeUnits(t.Put.Item) : keyWriteUnits((t.Update ?? t.Delete ?? t.ConditionCheck).Key));
    if (operation === 'BatchWriteItem')
      for (const writes of Object.values(body.RequestItems) as any[][])
        for (const w of writes)
          wru += w.PutRequest ? writeUnits(w.PutRequest.Item) : keyWriteUnits(w.DeleteRequest.Key);
    if (operation === 'GetItem') rru += readUnits(body.Key, Boolean(body.ConsistentRead));
    if (operation === 'BatchGetItem')
      for (const table of Object.values(body.RequestItems) as any[])
        for (const key of table.Keys) rru += readUnits(key, Boolean(table.ConsistentRead));
    // Our queries return a page of small items: at least one unit (half if eventually consistent).
    if (operation === 'Query' || operation === 'Scan') rru += body.ConsistentRead ? 1 : 0.5;
  }
  return { wru, rru };
}

/** One image's bill, from a warm run's measurements and counts. */
function costPerImage(run: Awaited<ReturnType<typeof oneImage>>) {
  // What the image costs: requests of the functions and the client; not the bench's own set-up,
  // nor the pollers' receives (counted in run.eventSourceMapping without the empty ones).
  const tally = (service: string, operations: RegExp, what: 'requests' | 'items' = 'requests') =>
    Object.entries(run.awsRequests)
      .filter(([key]) => {
        const [who = '', s = '', o = ''] = key.split(' ');
        return who !== 'setup' && who !== 'esm' && s === service && operations.test(o);
      })
      .reduce((total, [, n]) => total + n[what], 0);
  const writes = tally(
    'dynamodb',
    /^(PutItem|UpdateItem|DeleteItem|BatchWriteItem|TransactWriteItems)$/,
    'items',
  );
  const reads = tally('dynamodb', /^(GetItem|Query|BatchGetItem|Scan)$/, 'items');
  const { wru, rru } = capacityUnits(dynamoRequests.get(run.imageId) ?? []);
  const s3Put = tally('s3', /^(PutObject|CopyObject|ListObjectsV2|DeleteObjects|POST)/);
  const s3Get = tally('s3', /^(GetObject|HeadObject)/);
  // The queue's messages are S3's notifications and our jobs; S3 sending one is a request too.
  const ourSends = tally('sqs', /^SendMessage/);
  const esm = run.eventSourceMapping;
  const sqs = tally('sqs', /./) + (esm.messages - ourSends) + esm.receives + esm.deleteBatches;
  const rekognition = tally('rekognition', /./);
  const gb = (mb: number) => mb / 1024;
  const processGbS =
    ((Math.ceil(run.notificationBatchMs) + Math.ceil(run.jobBatchMs)) / 1000) * gb(PROCESS_MEMORY_MB);
  const apiGbS =
    ((Math.ceil(run.api.createUploadMs) + Math.ceil(run.api.getImageMs)) / 1000) * gb(API_MEMORY_MB);
  const dollars = {
    lambda: (processGbS + apiGbS) * PRICES.lambdaGbSecond + 4 * PRICES.lambdaRequest,
    apiGateway: 2 * PRICES.apiGatewayRestRequest,
    s3Requests: s3Put * PRICES.s3PutClassRequest + s3Get * PRICES.s3GetClassRequest,
    s3StorageOneMonth: (run.storedBytes / 2 ** 30) * PRICES.s3StandardGbMonth,
    dynamodb: wru * PRICES.dynamoWru + rru * PRICES.dynamoRru,
    sqs: sqs * PRICES.sqsRequest,
    rekognition: rekognition * PRICES.rekognitionImage,
  };
  const total = Object.values(dollars).reduce((a, b) => a + b, 0);
  const times = (n: number) =>
    Object.fromEntries(
      [...Object.entries(dollars), ['total', total] as const].map(([k, v]) => [
        k,
        Number((v * n).toFixed(4)),
      ]),
    );
  return {
    perImage: {
      lambdaInvocations: 4,
      processGbS: round(processGbS, 3),
      apiGbS: round(apiGbS, 3),
      s3PutClass: s3Put,
      s3GetClass: s3Get,
      dynamoItemWrites: writes,
      dynamoItemReads: reads,
      wru,
      rru,
      sqsRequests: sqs,
      rekognitionCalls: rekognition,
    },
    per1000Images: times(1000),
    per1000000Images: times(1e6),
  };
}

const costs = Object.fromEntries(
  Object.entries(warm).map(([provider, run]) => [provider, costPerImage(run)]),
);

const api = API_FUNCTIONS.map((name) => functions[name]?.coldInit);
console.log(
  JSON.stringify(
    {
      benchmark: 'lambda-bundles',
      machine: {
        ...machine(),
        zip: HAVE_ZIP ? 'zip -qryX (what SAM uploads)' : 'no zip: gzip of each file, an estimate',
      },
      bundleAllSeconds: round(bundleAllSeconds),
      functions,
      variants: variantResults,
      process12MP: {
        image: '4240×2832 JPEG q90 (test/fixtures/chelsea.jpg enlarged)',
        bytes: jpeg.length,
        container: HAVE_TASKSET ? `one CPU (taskset -c ${PINNED_CPU})` : `${cpus().length} CPUs (no taskset)`,
        runs: processRuns,
        imageItemBytes: Math.max(
          ...[...finalItems.values()].filter((i) => i.sk?.S === IMAGE_SK).map(itemBytes),
        ),
      },
      costs: {
        assumptions: {
          processMemoryMb: PROCESS_MEMORY_MB,
          apiMemoryMb: API_MEMORY_MB,
          perImage:
            'POST /images + GET /images/{id} (2 API Gateway requests, 2 API invocations at the measured in-process times against moto), ' +
            'the notification batch and the job batch (2 process invocations at the warm image durations, one image per batch), ' +
            'S3/DynamoDB/SQS requests as counted, storage of original + variants for one month (RETENTION_DAYS=30)',
          notIncluded:
            "free tiers; data transfer out (downloads); Rekognition latency (stubbed); CloudWatch logs/metrics/alarms, X-Ray, KMS; the SQS pollers' idle receives",
        },
        prices: PRICES,
        pricesChecked: '2026-11-27, us-east-1; see the comment on PRICES in bench/lambda-bundles.ts',
        byProvider: costs,
      },
      claims: {
        [CLAIMS.perImage]: Object.fromEntries(
          Object.entries(warm).map(([p, r]) => [
            p,
            `${(r.jobBatchMs / 1000).toFixed(2)} s (job batch, warm)`,
          ]),
        ),
        [CLAIMS.api]: {
          coldImportMsMedians: Object.fromEntries(API_FUNCTIONS.map((n, i) => [n, api[i]?.importMsMedian])),
          coldFirstHealthMsMedians: Object.fromEntries(
            API_FUNCTIONS.map((n, i) => [n, api[i]?.firstInvokeMsMedian]),
          ),
          warmCreateUploadMs: warm.none?.api.createUploadMs,
          warmGetImageMs: warm.none?.api.getImageMs,
        },
        [CLAIMS.monthly]: Object.fromEntries(
          Object.entries(costs).map(([p, c]) => [p, `$${c.per1000Images.total}`]),
        ),
      },
    },
    null,
    2,
  ),
);
process.exit(0);
