import { type ApiClient, putBytes } from './server.ts';

export interface FlowReport {
  flows: number;
  completed: number;
  failed: number;
  lost: number;
  statuses: Record<number, number>;
  /** Latency of each API call (upload URL request, PUT, status poll), in ms. */
  latencies: number[];
  wallMs: number;
}

/**
 * Runs `n` complete client flows at once (ask for a URL, PUT, poll until done) and counts
 * every HTTP status, so a test can demand zero 5xx and zero lost images.
 */
export async function runUploadFlows(
  api: ApiClient,
  n: number,
  bytes: Buffer,
  timeoutMs = 120_000,
): Promise<FlowReport> {
  const statuses: Record<number, number> = {};
  const latencies: number[] = [];
  const timed = async <T extends { status: number }>(call: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const res = await call();
    latencies.push(performance.now() - started);
    statuses[res.status] = (statuses[res.status] ?? 0) + 1;
    return res;
  };
  const deadline = Date.now() + timeoutMs;
  const started = performance.now();
  const outcomes = await Promise.all(
    Array.from({ length: n }, async () => {
      const created = await timed(() => api.createUpload('load.jpg', 'image/jpeg'));
      if (created.status !== 200) return 'lost';
      const put = await timed(() => putBytes(created.body.uploadUrl, bytes, 'image/jpeg'));
      await put.arrayBuffer();
      if (put.status !== 200) return 'lost';
      while (Date.now() < deadline) {
        const status = await timed(() => api.get(`/images/${created.body.imageId}/status`));
        if (status.body?.status === 'completed' || status.body?.status === 'failed')
          return status.body.status as string;
        await new Promise((r) => setTimeout(r, 250));
      }
      return 'lost';
    }),
  );
  return {
    flows: n,
    completed: outcomes.filter((o) => o === 'completed').length,
    failed: outcomes.filter((o) => o === 'failed').length,
    lost: outcomes.filter((o) => o === 'lost').length,
    statuses,
    latencies: latencies.sort((a, b) => a - b),
    wallMs: performance.now() - started,
  };
}
