import { runUploadFlows } from '../test/helpers/flows.ts';
import { scaledPhoto } from '../test/helpers/images.ts';
import { startTestServer } from '../test/helpers/server.ts';
import { percentile, round } from './lib.ts';

/** `npx tsx bench/load-flows.ts [flows]`: N concurrent upload flows, API latency percentiles. */
const flows = Number(process.argv[2] ?? 500);
const server = await startTestServer({ WORKERS: '2' });
const report = await runUploadFlows(server.api, flows, await scaledPhoto(640, 480), 600_000);
const l = report.latencies;
console.log(
  JSON.stringify(
    {
      flows,
      completed: report.completed,
      failed: report.failed,
      lost: report.lost,
      statuses: report.statuses,
      apiCalls: l.length,
      p50Ms: round(percentile(l, 50)),
      p95Ms: round(percentile(l, 95)),
      p99Ms: round(percentile(l, 99)),
      wallSeconds: round(report.wallMs / 1000),
      imagesPerSecond: round(report.completed / (report.wallMs / 1000)),
    },
    null,
    2,
  ),
);
await server.stop();
