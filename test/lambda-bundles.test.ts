import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  API_FUNCTIONS,
  bundledInputs,
  FUNCTIONS,
  functionEnv,
  PACKAGE_VERSION,
  probeBundle,
  ROOT,
  restEvent,
  runBundler,
} from './helpers/lambda-bundles.ts';

/**
 * Budgets from bench/lambda-bundles.ts (2026-11-27) plus ~30 %: an API function's index.mjs
 * measured 1.12 MB and its whole folder (chunks and source maps) 3.7 MB.
 */
const API_INDEX_BUDGET = 1_500_000;
const API_FOLDER_BUDGET = 4_800_000;
/** The admin function also ships Swagger UI's files for /docs: 1.9 MB measured. */
const DOCS_ASSETS_BUDGET = 2_200_000;
/** Lambda's limit on a function's unzipped size (code and layers). */
const LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024;

/** Native addons and the local analysis stack: never in a bundle that does not run them. */
const NEVER_BUNDLED = ['better-sqlite3', 'piscina'];
const LOCAL_ANALYSIS = ['onnxruntime', '@gutenye', '@tensorflow', '@vladmandic', 'nsfwjs'];

function folderBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true }))
    if (entry.isFile()) total += statSync(join(entry.parentPath, entry.name)).size;
  return total;
}

// Outside the repository on purpose: a bundle must not find our node_modules up the tree.
let out: string;
beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), 'lambda-bundles-'));
  runBundler('all', out);
}, 600_000);
afterAll(() => {
  if (out) rmSync(out, { recursive: true, force: true });
});

describe('Lambda bundles (scripts/bundle-lambdas.mjs)', () => {
  it.each(FUNCTIONS)('%s: an index.mjs without native addons or unused models', (name) => {
    expect(existsSync(join(out, name, 'index.mjs'))).toBe(true);
    expect(existsSync(join(out, name, 'index.mjs.map'))).toBe(true);
    const inputs = bundledInputs(join(out, `${name}.meta.json`));
    expect(inputs.some((p) => p.startsWith('src/lambda/'))).toBe(true);
    for (const banned of [...NEVER_BUNDLED, ...LOCAL_ANALYSIS])
      expect(inputs.filter((p) => p.includes(banned))).toEqual([]);
    // sharp is never bundled: only the process function has it, installed beside the bundle.
    expect(inputs.filter((p) => p.includes('node_modules/sharp/'))).toEqual([]);
  });

  it.each(API_FUNCTIONS)('%s: stays within its size budget and ships no node_modules', (name) => {
    const dir = join(out, name);
    expect(statSync(join(dir, 'index.mjs')).size).toBeLessThan(API_INDEX_BUDGET);
    expect(folderBytes(dir)).toBeLessThan(API_FOLDER_BUDGET + (name === 'admin' ? DOCS_ASSETS_BUDGET : 0));
    expect(existsSync(join(dir, 'node_modules'))).toBe(false);
  });

  it('process: ships sharp for linux-x64 (glibc) at the version we test with', () => {
    const modules = join(out, 'process', 'node_modules');
    const ours = JSON.parse(readFileSync(join(ROOT, 'node_modules/sharp/package.json'), 'utf8')).version;
    expect(JSON.parse(readFileSync(join(modules, 'sharp/package.json'), 'utf8')).version).toBe(ours);
    expect(existsSync(join(modules, '@img/sharp-linux-x64'))).toBe(true);
    expect(existsSync(join(modules, '@img/sharp-libvips-linux-x64'))).toBe(true);
    expect(readdirSync(join(modules, '@img')).filter((p) => /darwin|win32|musl|arm/.test(p))).toEqual([]);
  });

  it.each(FUNCTIONS)(
    '%s: loads in a fresh node process with the function environment',
    (name) => {
      // The process function's first (empty) batch waits for its init: sharp and the pipeline.
      const event = name === 'process' ? { Records: [] } : undefined;
      const probe = probeBundle(join(out, name), { event });
      expect(probe.stderr).not.toMatch(/ERR_MODULE_NOT_FOUND|Cannot find (module|package)/);
      expect(probe.exitCode).toBe(0);
      expect(probe.report?.typeofHandler).toBe('function');
      if (event) expect(probe.report?.invoke).toMatchObject({ result: { batchItemFailures: [] } });
    },
    120_000,
  );

  it('admin: answers GET /health and serves the bundled version in GET /openapi.json', () => {
    const health = probeBundle(join(out, 'admin'), { event: restEvent('GET', '/health') });
    expect(health.report?.invoke).toMatchObject({ result: { statusCode: 200 } });
    const healthResult = health.report?.invoke?.result as { body: string };
    expect(JSON.parse(healthResult.body)).toEqual({ status: 'ok' });

    const openapi = probeBundle(join(out, 'admin'), { event: restEvent('GET', '/openapi.json') });
    const result = openapi.report?.invoke?.result as { statusCode: number; body: string };
    expect(result.statusCode).toBe(200);
    // The bundle has no package.json beside it: the version comes from esbuild's define.
    expect(JSON.parse(result.body).info.version).toBe(PACKAGE_VERSION);
    expect(readFileSync(join(out, 'admin', 'index.mjs'), 'utf8')).not.toContain('IMGAPI_BUNDLED_VERSION');
  }, 120_000);

  it('admin: serves GET /docs and its files from the folder beside the bundle, within its budget', () => {
    const dir = join(out, 'admin');
    expect(readdirSync(join(dir, 'swagger-ui')).sort()).toEqual(
      ['favicon-16x16.png', 'favicon-32x32.png', 'swagger-ui-bundle.js', 'swagger-ui.css'].sort(),
    );
    // Swagger UI's ~1.9 MB come on top of an API function's folder, and are read only on request.
    expect(folderBytes(dir)).toBeLessThan(API_FOLDER_BUDGET + DOCS_ASSETS_BUDGET);
    expect(statSync(join(dir, 'index.mjs')).size).toBeLessThan(API_INDEX_BUDGET);
    const page = probeBundle(dir, { event: restEvent('GET', '/docs') });
    const result = page.report?.invoke?.result as { statusCode: number; body: string };
    expect(result.statusCode).toBe(200);
    expect(result.body).toContain('docs/swagger-ui-bundle.js');
    // The favicon is in the page, read from the PNG beside the bundle.
    expect(result.body).toContain('href="data:image/png;base64,iVBORw0KGgo');
    // The other API functions do not carry it.
    for (const name of API_FUNCTIONS.filter((n) => n !== 'admin'))
      expect(existsSync(join(out, name, 'swagger-ui')), name).toBe(false);
  }, 120_000);

  it('process: bundled without the local models, it refuses ANALYSIS_PROVIDER=local at init', () => {
    const probe = probeBundle(join(out, 'process'), {
      event: { Records: [] },
      env: functionEnv({ ANALYSIS_PROVIDER: 'local' }),
    });
    expect(probe.report?.invoke?.error).toMatch(/bundled with ANALYSIS_PROVIDER=local/);
  }, 120_000);
});

describe('Lambda bundles: the process function with ANALYSIS_PROVIDER=local', () => {
  let local: string;
  beforeAll(() => {
    local = mkdtempSync(join(tmpdir(), 'lambda-bundles-local-'));
    runBundler('process', local, { ANALYSIS_PROVIDER: 'local' });
  }, 600_000);
  afterAll(() => {
    if (local) rmSync(local, { recursive: true, force: true });
  });

  it('fits in Lambda and runs every local model from its own node_modules', () => {
    expect(folderBytes(local)).toBeLessThan(LAMBDA_UNZIPPED_LIMIT);
    const chunk = readdirSync(join(local, 'chunks')).find((f) => /^local-analyzer-.*\.mjs$/.test(f));
    expect(chunk).toBeDefined();
    // One small photo through all four analyses, loading each model from the bundle's folder.
    const script = `
      import { createRequire } from 'node:module';
      const sharp = createRequire(${JSON.stringify(`${local}/index.mjs`)})('sharp');
      const { LocalAnalyzer } = await import(${JSON.stringify(join(local, 'chunks', chunk ?? ''))});
      const analyzer = new LocalAnalyzer();
      const image = sharp(${JSON.stringify(join(ROOT, 'test/fixtures/chelsea.jpg'))}).resize(256);
      const { data, info } = await image.clone().removeAlpha().raw().toBuffer({ resolveWithObject: true });
      const input = { pixels: { data, width: info.width, height: info.height },
        textImage: async () => ({ data, width: info.width, height: info.height }) };
      const found = {};
      for (const name of ['objects', 'faces', 'moderation', 'text']) found[name] = await analyzer.analyze(name, input);
      // The sign: text found, so the recogniser loads and runs too (onnxruntime's binding).
      const sign = sharp(${JSON.stringify(join(ROOT, 'test/fixtures/sign.jpg'))});
      const signPixels = await sign.clone().resize(1024).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      const signLarge = await sign.clone().removeAlpha().raw().toBuffer({ resolveWithObject: true });
      found.sign = await analyzer.analyze('text', {
        pixels: { data: signPixels.data, width: signPixels.info.width, height: signPixels.info.height },
        textImage: async () => ({ data: signLarge.data, width: signLarge.info.width, height: signLarge.info.height }) });
      await analyzer.close();
      console.log('LOCAL ' + JSON.stringify(found));
    `;
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: local,
      env: { PATH: process.env.PATH ?? '' },
      encoding: 'utf8',
      timeout: 180_000,
    });
    const found = JSON.parse(
      output
        .split('\n')
        .find((l) => l.startsWith('LOCAL '))
        ?.slice(6) ?? '{}',
    );
    expect(found.objects.map((o: { name: string }) => o.name)).toContain('Cat');
    expect(found.moderation.labels).toEqual([]);
    expect(found.faces).toEqual([]);
    expect(found.text).toEqual([]);
    expect(found.sign.map((l: { text: string }) => l.text)).toEqual(['FRESH BREAD', 'OPEN DAILY']);
  }, 240_000);
});
