import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** The slice of @tensorflow/tfjs-core this adapter uses (the package's own types are not re-exported). */
export interface Tfjs {
  getBackend(): string;
  setBackend(name: string): Promise<boolean>;
  ready(): Promise<void>;
  memory(): { numTensors: number; numBytes: number };
  tensor3d(values: Uint8Array, shape: [number, number, number], dtype: 'int32'): { dispose(): void };
  io: {
    registerLoadRouter(router: (url: string | string[]) => unknown): void;
  };
}

/** tfjs-core as a CommonJS singleton: Human and nsfwjs require the very same instance. */
export const tf: Tfjs = require('@tensorflow/tfjs-core');
const wasmBackend: { setWasmPaths(prefix: string): void } = require('@tensorflow/tfjs-backend-wasm');

/** Where the backend's .wasm binaries live inside node_modules (read from disk, never a CDN). */
export const WASM_DIR = `${dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`;

let ready: Promise<void> | undefined;

/**
 * Selects the WebAssembly backend once per thread and teaches tfjs to load `file://` model
 * URLs from disk: Node's fetch has no file scheme and tfjs-node (which adds one) cannot be
 * installed offline, so without this every model load would be an HTTP request.
 */
export function tfjsReady(): Promise<void> {
  ready ??= (async () => {
    tf.io.registerLoadRouter((url) =>
      typeof url === 'string' && url.startsWith('file://') ? fileHandler(url.slice('file://'.length)) : null,
    );
    wasmBackend.setWasmPaths(WASM_DIR);
    if (!(await tf.setBackend('wasm'))) throw new Error('the tfjs WebAssembly backend failed to start');
    await tf.ready();
  })();
  return ready;
}

interface WeightsManifest {
  paths: string[];
  weights: unknown[];
}

/** A tfjs IOHandler reading a graph model's model.json and its weight shards from disk. */
function fileHandler(modelJsonPath: string) {
  return {
    async load() {
      const json = JSON.parse(await readFile(modelJsonPath, 'utf8')) as Record<string, unknown> & {
        weightsManifest: WeightsManifest[];
      };
      const dir = dirname(modelJsonPath);
      const shards = await Promise.all(
        json.weightsManifest.flatMap((group) => group.paths).map((path) => readFile(join(dir, path))),
      );
      const weights = Buffer.concat(shards);
      return {
        modelTopology: json.modelTopology,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        signature: json.signature,
        userDefinedMetadata: json.userDefinedMetadata,
        modelInitializer: json.modelInitializer,
        weightSpecs: json.weightsManifest.flatMap((group) => group.weights),
        weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
      };
    },
  };
}

/** An image tensor over RGB pixels, sharing their memory; the caller disposes it. */
export function pixelTensor(data: Buffer, height: number, width: number) {
  return tf.tensor3d(new Uint8Array(data.buffer, data.byteOffset, data.length), [height, width, 3], 'int32');
}
