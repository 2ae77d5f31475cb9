import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The repository's root, where scripts/bundle-lambdas.mjs runs from. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BUNDLER = `${ROOT}scripts/bundle-lambdas.mjs`;
export const PACKAGE_VERSION: string = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')).version;

export const API_FUNCTIONS = ['upload', 'list', 'get', 'delete', 'status', 'admin'] as const;
export const FUNCTIONS = [...API_FUNCTIONS, 'process', 'cleanup', 'webhook'] as const;
export type FunctionName = (typeof FUNCTIONS)[number];

/**
 * The environment a deployed function gets from the template, with made-up resource names and
 * dummy credentials. Nothing else from this process leaks in (no NODE_OPTIONS loaders, no AWS
 * profile): the child sees what Lambda would give it.
 */
export function functionEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    AWS_REGION: 'us-east-1',
    BUCKET_NAME: 'image-bucket',
    TABLE_NAME: 'image-table',
    QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/1/q',
    DEAD_LETTER_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/1/dlq',
    WEBHOOK_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/1/webhooks',
    ANALYSIS_PROVIDER: 'none',
    USAGE_PLAN_ID: 'p',
    ADMIN_API_KEY_ID: 'k',
    AWS_ACCESS_KEY_ID: 'dummy',
    AWS_SECRET_ACCESS_KEY: 'dummy',
    ...extra,
  };
}

/** An API Gateway REST (v1) proxy event, as the gateway sends one to a function. */
export function restEvent(method: string, path: string, apiKeyId: string | null = null) {
  const domainName = 'abc123.execute-api.us-east-1.amazonaws.com';
  return {
    resource: '/{proxy+}',
    path,
    httpMethod: method,
    headers: { Host: domainName, Accept: 'application/json' },
    multiValueHeaders: { Host: [domainName], Accept: ['application/json'] },
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: { proxy: path.slice(1) },
    stageVariables: null,
    body: null,
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName,
      stage: 'prod',
      httpMethod: method,
      path: `/prod${path}`,
      protocol: 'HTTP/1.1',
      requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
      requestTimeEpoch: Date.now(),
      resourceId: 'abcdef',
      resourcePath: '/{proxy+}',
      identity: { apiKeyId, sourceIp: '203.0.113.1', userAgent: 'bundle-test' },
      authorizer: null,
    },
  };
}

/** What one fresh `node` process reports after importing a bundle (and invoking it, if asked). */
export interface ProbeResult {
  exitCode: number | null;
  /** Wall time of the whole process, spawn to exit. */
  wallMs: number;
  /** Set when the child got as far as reporting. */
  report?: {
    typeofHandler: string;
    /** performance.now() around `await import(bundle)`, inside the child. */
    importMs: number;
    invoke?: { ms: number; result?: unknown; error?: string };
  };
  stderr: string;
}

// Runs in the child: imports the bundle, optionally invokes its handler once, reports on a marked line
// (the function's own logs go to stdout too).
const PROBE = `
const [file, event] = process.argv.slice(1);
const started = performance.now();
const mod = await import(file);
const report = { typeofHandler: typeof mod.handler, importMs: performance.now() - started };
if (event) {
  const t = performance.now();
  try {
    const result = await mod.handler(JSON.parse(event), undefined);
    report.invoke = { ms: performance.now() - t, result };
  } catch (error) {
    report.invoke = { ms: performance.now() - t, error: String(error?.stack ?? error) };
  }
}
process.stdout.write('\\nBUNDLE-PROBE ' + JSON.stringify(report) + '\\n');
process.exit(0);
`;

/**
 * Imports `<dir>/index.mjs` in a fresh node process with the function's environment, as
 * Lambda's runtime does (NODE_OPTIONS=--enable-source-maps, as the template sets it), and
 * invokes the handler with `event` when given.
 */
export function probeBundle(
  dir: string,
  options: { event?: unknown; env?: Record<string, string>; sourceMaps?: boolean } = {},
): ProbeResult {
  const args = [...(options.sourceMaps === false ? [] : ['--enable-source-maps']), '--input-type=module'];
  args.push('-e', PROBE, `${dir}/index.mjs`);
  if (options.event !== undefined) args.push(JSON.stringify(options.event));
  const started = performance.now();
  const child = spawnSync(process.execPath, args, {
    cwd: dir,
    env: options.env ?? functionEnv(),
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  const wallMs = performance.now() - started;
  const line = child.stdout.split('\n').find((l) => l.startsWith('BUNDLE-PROBE '));
  return {
    exitCode: child.status,
    wallMs,
    ...(line ? { report: JSON.parse(line.slice('BUNDLE-PROBE '.length)) } : {}),
    stderr: child.stderr,
  };
}

/** Runs the bundler as SAM's makefile build does (`node scripts/bundle-lambdas.mjs …`). */
export function runBundler(target: string, outDir: string, env: Record<string, string> = {}): string {
  const child = spawnSync(process.execPath, [BUNDLER, target, outDir], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 600_000,
  });
  if (child.status !== 0)
    throw new Error(`bundle-lambdas.mjs ${target} failed (${child.status}):\n${child.stderr}`);
  return child.stderr;
}

/** The metafile's input paths of every output file of one function: what went into its bundle. */
export function bundledInputs(metafilePath: string): string[] {
  const metafile = JSON.parse(readFileSync(metafilePath, 'utf8')) as {
    outputs: Record<string, { inputs: Record<string, unknown> }>;
  };
  return [...new Set(Object.values(metafile.outputs).flatMap((o) => Object.keys(o.inputs)))];
}
