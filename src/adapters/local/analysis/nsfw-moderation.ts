import { createRequire } from 'node:module';
import sharp from 'sharp';
import { type AnalysisResults, type ModerationLabel, percent } from '../../../core/analysis.ts';
import type { RawImage } from '../../../ports/analyzer.ts';
import { packageVersion } from './package-version.ts';
import { pixelTensor, tfjsReady } from './tfjs-runtime.ts';

const require = createRequire(import.meta.url);

/** MobileNetV2's input size. */
const INPUT_SIDE = 224;

/** Rekognition's default MinConfidence for moderation labels is 50, and so is ours. */
const MODERATION_MIN_CONFIDENCE = 50;

interface NsfwModel {
  classify(image: unknown, topk?: number): Promise<Array<{ className: string; probability: number }>>;
}

/**
 * How the five NSFWJS classes map onto Rekognition's moderation taxonomy. Neutral and
 * Drawing say nothing unsafe; Drawing becomes an image label instead (see labels.ts).
 */
const TAXONOMY: Record<string, Array<{ name: string; parentName: string }>> = {
  Porn: [{ name: 'Explicit Nudity', parentName: '' }],
  Hentai: [
    { name: 'Explicit Nudity', parentName: '' },
    { name: 'Illustrated Explicit Nudity', parentName: 'Explicit Nudity' },
  ],
  Sexy: [{ name: 'Suggestive', parentName: '' }],
};

/** Moderation with NSFWJS's MobileNetV2, whose weights are bundled in its JavaScript. */
export class NsfwModeration {
  private constructor(
    private readonly model: NsfwModel,
    readonly modelName: string,
  ) {}

  static async load(): Promise<NsfwModeration> {
    await tfjsReady();
    const { load } = (await import('nsfwjs')) as { load(name: string): Promise<NsfwModel> };
    // NSFWJS announces the bundled model on console.info; a worker's stdout is for our logs.
    const info = console.info;
    console.info = () => {};
    try {
      const model = await load('MobileNetV2');
      const version = await packageVersion(require.resolve('nsfwjs'), 'nsfwjs');
      return new NsfwModeration(model, `nsfwjs ${version} MobileNetV2`);
    } finally {
      console.info = info;
    }
  }

  async classify(image: RawImage): Promise<AnalysisResults['moderation']> {
    // The model squashes the image to 224×224; libvips does it here (antialiased, ~1 ms)
    // rather than tfjs turning a 1024 px image into floats and resizing those (~30 ms).
    const square = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
      .resize(INPUT_SIDE, INPUT_SIDE, { fit: 'fill' })
      .raw()
      .toBuffer();
    const tensor = pixelTensor(square, INPUT_SIDE, INPUT_SIDE);
    try {
      const predictions = await this.model.classify(tensor, 5);
      const classes = Object.fromEntries(predictions.map((p) => [p.className, percent(p.probability)]));
      return { labels: moderationLabels(classes), classes };
    } finally {
      tensor.dispose();
    }
  }
}

/** Rekognition-style labels for the classes at or above the threshold, strongest first. */
function moderationLabels(classes: Record<string, number>): ModerationLabel[] {
  const labels = new Map<string, ModerationLabel>();
  for (const [cls, confidence] of Object.entries(classes)) {
    if (confidence < MODERATION_MIN_CONFIDENCE) continue;
    for (const { name, parentName } of TAXONOMY[cls] ?? []) {
      const existing = labels.get(name);
      if (!existing || existing.confidence < confidence) labels.set(name, { name, confidence, parentName });
    }
  }
  return [...labels.values()].sort((a, b) => b.confidence - a.confidence);
}
