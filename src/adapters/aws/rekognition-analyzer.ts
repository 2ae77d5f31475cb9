import {
  DetectFacesCommand,
  DetectLabelsCommand,
  type DetectLabelsResponse,
  DetectModerationLabelsCommand,
  DetectTextCommand,
  RecognizeCelebritiesCommand,
  type RekognitionClient,
} from '@aws-sdk/client-rekognition';
import type { AnalysisName, AnalysisResults, Celebrity, LabelDetail } from '../../core/analysis.ts';
import type { AnalysisInput, Analyzer } from '../../ports/analyzer.ts';
import { MAX_IMAGE_BYTES, RekognitionImageError, rekognitionError } from './rekognition-errors.ts';
import {
  celebritiesOf,
  facesOf,
  labelsOf,
  moderationOf,
  objectsOf,
  type RekognitionThresholds,
  textOf,
} from './rekognition-mapping.ts';

export type { RekognitionThresholds } from './rekognition-mapping.ts';

/**
 * The thresholds the local home documents (README, "AI analysis"), so both homes keep the same
 * results: objects ≥ 35, moderation ≥ 50 (Rekognition's own default), text lines ≥ 70, faces
 * ≥ 50. Labels ≥ 55, DetectLabels' own default: below it its labels are mostly guesses.
 */
export const DEFAULT_THRESHOLDS: Readonly<RekognitionThresholds> = {
  objects: 35,
  labels: 55,
  faces: 50,
  moderation: 50,
  text: 70,
};

export interface RekognitionAnalyzerOptions {
  /** A configured client (region, credentials); this adapter never reads the environment. */
  client: RekognitionClient;
  /** Lowest confidence (0–100) kept, per kind of result; defaults in DEFAULT_THRESHOLDS. */
  minConfidence?: Partial<RekognitionThresholds>;
}

const OPERATIONS: Record<AnalysisName, string> = {
  objects: 'DetectLabels',
  faces: 'DetectFaces',
  moderation: 'DetectModerationLabels',
  text: 'DetectText',
};

/**
 * The AWS home's analyzer: Amazon Rekognition, sent the large thumbnail's JPEG as bytes.
 * Objects and labels come from one DetectLabels call per image, however often they are asked.
 */
export class RekognitionAnalyzer implements Analyzer {
  private readonly client: RekognitionClient;
  private readonly min: RekognitionThresholds;
  /** One DetectLabels call per image: `objects` and `labels()` both read it. */
  private readonly detectedLabels = new WeakMap<AnalysisInput, Promise<DetectLabelsResponse>>();

  constructor({ client, minConfidence = {} }: RekognitionAnalyzerOptions) {
    this.client = client;
    this.min = { ...DEFAULT_THRESHOLDS };
    for (const [name, value] of Object.entries(minConfidence) as Array<
      [keyof RekognitionThresholds, unknown]
    >) {
      if (value === undefined) continue;
      if (!(name in DEFAULT_THRESHOLDS))
        throw new TypeError(
          `Expected one of ${Object.keys(DEFAULT_THRESHOLDS).join(', ')} but received ${name}`,
        );
      if (typeof value !== 'number' || !(value >= 0 && value <= 100))
        throw new TypeError(
          `Expected a number from 0 to 100 for minConfidence.${name} but received ${String(value)} of type ${typeof value}`,
        );
      this.min[name] = value;
    }
  }

  async modelName(name: AnalysisName): Promise<string> {
    return `Amazon Rekognition ${OPERATIONS[name]}`;
  }

  async analyze<N extends AnalysisName>(name: N, input: AnalysisInput): Promise<AnalysisResults[N]> {
    const results: { [K in AnalysisName]: () => Promise<AnalysisResults[K]> } = {
      objects: async () => objectsOf(await this.detectLabels(input), this.min.objects),
      faces: async () => facesOf(await this.send('DetectFaces', input, this.detectFaces), this.min.faces),
      moderation: async () =>
        moderationOf(
          await this.send('DetectModerationLabels', input, this.detectModeration),
          this.min.moderation,
        ),
      text: async () => textOf(await this.send('DetectText', input, this.detectText), this.min.text),
    };
    return results[name]();
  }

  /** DetectLabels' own labels, from the same response as `objects` when that ran on this input. */
  async labels(_found: Partial<AnalysisResults>, input: AnalysisInput): Promise<LabelDetail[]> {
    return labelsOf(await this.detectLabels(input), this.min.labels);
  }

  async celebrities(input: AnalysisInput): Promise<Celebrity[]> {
    return celebritiesOf(await this.send('RecognizeCelebrities', input, this.recognizeCelebrities));
  }

  private detectLabels(input: AnalysisInput): Promise<DetectLabelsResponse> {
    let pending = this.detectedLabels.get(input);
    if (!pending) {
      // Both thresholds are applied on our side; ask for everything either of them keeps.
      const minConfidence = Math.min(this.min.objects, this.min.labels);
      pending = this.send('DetectLabels', input, (image) =>
        this.client.send(
          new DetectLabelsCommand({
            Image: image,
            Features: ['GENERAL_LABELS'],
            MinConfidence: minConfidence,
          }),
        ),
      );
      const call = pending;
      // A failed call is not remembered: labels() after a throttled `objects` asks again.
      call.catch(() => {
        if (this.detectedLabels.get(input) === call) this.detectedLabels.delete(input);
      });
      this.detectedLabels.set(input, call);
    }
    return pending;
  }

  private readonly detectFaces = (image: { Bytes: Uint8Array }) =>
    this.client.send(new DetectFacesCommand({ Image: image, Attributes: ['ALL'] }));

  private readonly detectModeration = (image: { Bytes: Uint8Array }) =>
    this.client.send(new DetectModerationLabelsCommand({ Image: image, MinConfidence: this.min.moderation }));

  private readonly detectText = (image: { Bytes: Uint8Array }) =>
    this.client.send(new DetectTextCommand({ Image: image }));

  private readonly recognizeCelebrities = (image: { Bytes: Uint8Array }) =>
    this.client.send(new RecognizeCelebritiesCommand({ Image: image }));

  /** Sends the image's JPEG, translating any failure into our errors at this boundary. */
  private async send<T>(
    operation: string,
    input: AnalysisInput,
    call: (image: { Bytes: Uint8Array }) => Promise<T>,
  ): Promise<T> {
    if (input.jpeg.length > MAX_IMAGE_BYTES)
      throw new RekognitionImageError(
        operation,
        `Rekognition ${operation} takes at most ${MAX_IMAGE_BYTES} bytes of image but was given ${input.jpeg.length}`,
      );
    try {
      return await call({ Bytes: input.jpeg });
    } catch (error) {
      throw rekognitionError(operation, error);
    }
  }
}
