import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { scaledPhoto } from '../test/helpers/images.ts';
import { spawnServer } from '../test/helpers/process.ts';
import { ADMIN_KEY } from '../test/helpers/server.ts';
import { machine, round } from './lib.ts';

/**
 * API throughput under autocannon (50 connections) against a bare node:http hello world in
 * the same run. Both servers run as their own processes; autocannon runs here. Our server
 * is measured with its read cache off (READ_CACHE_MB=0: every request does the full read)
 * and as `npm start` runs it (repeated reads of an unchanged image are served from memory). Then
 * GET /images/{id} again while the pipeline is saturated with 12 MP images, to show that
 * processing stays off the event loop.
 */
const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = 50;
const ROOT = fileURLToPath(new URL('..', import.meta.url));

// The same constant JSON from Hono on @hono/node-server, as our API is served: the part of
// the gap that is the framework's, not our work's.
const HONO_HELLO = `import { serve } from '@hono/node-server'; import { Hono } from 'hono'; const app = new Hono(); app.get('/', (c) => c.json({ hello: 'world' })); serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => console.log(JSON.stringify({ url: 'http://127.0.0.1:' + info.port })));`;

const HELLO = `require('node:http').createServer((q, s) => { s.writeHead(200, {'content-type':'application/json'}); s.end('{"hello":"world"}'); }).listen(0, '127.0.0.1', function () { console.log(JSON.stringify({ url: 'http://127.0.0.1:' + this.address().port })); });`;

function spawnAndWait(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk) => {
      out += chunk;
      const match = /"url":"(http:\/\/[^"]+)"/.exec(out);
      if (match) resolve({ child, url: match[1] as string });
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
  });
}

async function load(url: string, headers: Record<string, string> = {}) {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: DURATION, headers });
  return {
    requestsPerSecond: round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

const hello = await spawnAndWait(['-e', HELLO]);
const honoHello = await spawnAndWait(['--input-type=module', '-e', HONO_HELLO]);
const dataDir = mkdtempSync(join(tmpdir(), 'imgapi-throughput-'));
/** Our server on the bench's DATA_DIR; one at a time, as one process owns a DATA_DIR. */
const startApi = (env: Record<string, string> = {}) =>
  spawnServer({ DATA_DIR: dataDir, RATE_LIMIT_RPS: '10000000', RATE_LIMIT_BURST: '10000000', ...env });

// First without the read cache: every request reads SQLite, presents and serialises.
let api = await startApi({ READ_CACHE_MB: '0' });
let client = api.api;
const small = await scaledPhoto(320, 240);
const ids = await Promise.all(Array.from({ length: 120 }, () => client.upload(small)));
for (const id of ids) await client.waitFor(id, ['completed'], 120_000);
const auth = { 'x-api-key': ADMIN_KEY };
const onePath = `/images/${ids[0]}`;
const listPath = '/images?limit=100';

const helloResult = await load(hello.url);
const honoResult = await load(honoHello.url);
const getUncached = await load(client.baseUrl + onePath, auth);
const listUncached = await load(client.baseUrl + listPath, auth);
api.child.kill('SIGKILL');
await api.exited;

// Then as `npm start` runs: bodies reused until the image changes.
api = await startApi();
client = api.api;
const one = client.baseUrl + onePath;
const getResult = await load(one, auth);
const listResult = await load(client.baseUrl + listPath, auth);

// Saturate the pipeline: enough 12 MP images to keep every worker busy for the whole run.
const big = await scaledPhoto(4240, 2832, 90);
const saturating = Promise.all(Array.from({ length: 60 }, () => client.upload(big)));
await new Promise((r) => setTimeout(r, 1000));
const busyResult = await load(one, auth);
const queued = await saturating;
const stillProcessing = (await client.get('/images?status=processing&limit=100')).body.count;
const backlog = (await client.get('/images?status=uploaded&limit=100')).body.count;

hello.child.kill('SIGKILL');
honoHello.child.kill('SIGKILL');
api.child.kill('SIGKILL');
rmSync(dataDir, { recursive: true, force: true });

console.log(
  JSON.stringify(
    {
      benchmark: 'api-throughput',
      machine: machine(),
      connections: CONNECTIONS,
      durationSeconds: DURATION,
      helloWorld: helloResult,
      honoHelloWorld: {
        ...honoResult,
        vsHelloWorld: round(honoResult.requestsPerSecond / helloResult.requestsPerSecond, 2),
      },
      getImage: {
        ...getResult,
        vsHelloWorld: round(getResult.requestsPerSecond / helloResult.requestsPerSecond, 2),
      },
      listImages100: {
        ...listResult,
        vsHelloWorld: round(listResult.requestsPerSecond / helloResult.requestsPerSecond, 2),
      },
      getImageUncached: {
        ...getUncached,
        vsHelloWorld: round(getUncached.requestsPerSecond / helloResult.requestsPerSecond, 2),
      },
      listImages100Uncached: {
        ...listUncached,
        vsHelloWorld: round(listUncached.requestsPerSecond / helloResult.requestsPerSecond, 2),
      },
      getImageWhilePipelineSaturated: {
        ...busyResult,
        p99VsIdle: round(busyResult.p99Ms / Math.max(getResult.p99Ms, 1), 2),
        imagesQueued: queued.length,
        stillProcessingAfter: stillProcessing,
        backlogAfter: backlog,
      },
    },
    null,
    2,
  ),
);
