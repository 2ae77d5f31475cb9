import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../src/local/config.ts';
import { type LocalServer, startLocal } from '../../src/local/start-local.ts';

export const ADMIN_KEY = 'test-admin-key-0123456789';

export interface TestServer extends LocalServer {
  dataDir: string;
  api: ApiClient;
  /** Closes the server and removes its data directory. */
  stop(): Promise<void>;
}

/**
 * The test servers' settings: an ephemeral port, the admin key, one worker, fast retries,
 * no rate limit, no models; `env` overrides. For tests that start the server themselves
 * (their own logger, a restart on the same DATA_DIR).
 */
export function testServerConfig(dataDir: string, env: Record<string, string> = {}) {
  return loadConfig({
    PORT: '0',
    DATA_DIR: dataDir,
    API_KEY: ADMIN_KEY,
    WORKERS: '1',
    RETRY_BASE_DELAY_MS: '100',
    RATE_LIMIT_RPS: '10000',
    RATE_LIMIT_BURST: '10000',
    // Suites about the API and processing skip the models; test/analysis*.test.ts opt in.
    ANALYSIS: 'none',
    ...env,
  });
}

/** Starts the real local server (HTTP, SQLite, worker pool) on an ephemeral port in a temp DATA_DIR. */
export async function startTestServer(env: Record<string, string> = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'imgapi-test-'));
  const config = testServerConfig(dataDir, env);
  const server = await startLocal(config, pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }));
  return {
    ...server,
    dataDir,
    api: new ApiClient(server.url, ADMIN_KEY),
    async stop() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** A tiny client that speaks the API the way curl users do. */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    readonly apiKey: string | null,
  ) {}

  withKey(apiKey: string | null): ApiClient {
    return new ApiClient(this.baseUrl, apiKey);
  }

  async request<T = any>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiResponse<T>> {
    const init: RequestInit = { method, headers: { ...headers } };
    if (this.apiKey !== null) (init.headers as Record<string, string>)['x-api-key'] = this.apiKey;
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
    }
    const res = await fetch(`${this.baseUrl}${path}`, init);
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {}
    return { status: res.status, headers: res.headers, body: parsed as T };
  }

  get<T = any>(path: string) {
    return this.request<T>('GET', path);
  }

  /** POST /images/upload, asserting nothing: tests check the status themselves. */
  createUpload(fileName = 'photo.jpg', fileType = 'image/jpeg') {
    return this.request('POST', '/images/upload', { fileName, fileType });
  }

  /** The full client flow: request a URL, PUT the bytes; returns the image id. */
  async upload(bytes: Buffer, fileType = 'image/jpeg', fileName = 'photo.jpg'): Promise<string> {
    const created = await this.createUpload(fileName, fileType);
    if (created.status !== 200) throw new Error(`upload request failed: ${JSON.stringify(created.body)}`);
    const put = await putBytes(created.body.uploadUrl, bytes, fileType);
    if (put.status !== 200) throw new Error(`PUT failed: ${put.status} ${await put.text()}`);
    return created.body.imageId;
  }

  /**
   * Waits for one of `states`. For finished states it long-polls (`?wait=`), as a client
   * should; any other state (e.g. processing) can only be caught by polling.
   */
  async waitFor(imageId: string, states: string[] = ['completed', 'failed'], timeoutMs = 20_000) {
    const deadline = Date.now() + timeoutMs;
    const longPoll = states.every((s) => s === 'completed' || s === 'failed');
    for (;;) {
      const left = Math.ceil((deadline - Date.now()) / 1000);
      const wait = longPoll ? `?wait=${Math.min(20, Math.max(left, 1))}` : '';
      const res = await this.get(`/images/${imageId}/status${wait}`);
      if (states.includes(res.body?.status)) return res.body;
      if (Date.now() > deadline) throw new Error(`image ${imageId} stuck at ${JSON.stringify(res.body)}`);
      if (!longPoll || res.status !== 200) await new Promise((r) => setTimeout(r, 50));
    }
  }
}

export function putBytes(url: string, bytes: Buffer | Uint8Array, contentType: string): Promise<Response> {
  return fetch(url, { method: 'PUT', body: bytes, headers: { 'content-type': contentType } });
}

/**
 * PUTs with node:http, chunk by chunk and without Content-Length, and reads the answer even
 * if the server cuts the upload short (as it does past MAX_UPLOAD_BYTES); fetch cannot.
 */
export function streamPut(
  url: string,
  bytes: Buffer,
  contentType: string,
): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'PUT', headers: { 'content-type': contentType, 'transfer-encoding': 'chunked' } },
      (res) => {
        let text = '';
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text || 'null') }));
        res.on('error', reject);
      },
    );
    req.on('error', () => {}); // EPIPE/ECONNRESET once the server stops reading: expected.
    let offset = 0;
    const writeMore = () => {
      while (offset < bytes.length) {
        const chunk = bytes.subarray(offset, offset + 16 * 1024);
        offset += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', writeMore);
      }
      req.end();
    };
    writeMore();
  });
}
