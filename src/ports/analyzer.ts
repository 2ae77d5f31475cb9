import type { AnalysisName, AnalysisResults } from '../core/analysis.ts';

/** Decoded, auto-oriented sRGB pixels, 3 channels, row-major. */
export interface RawImage {
  data: Buffer;
  width: number;
  height: number;
}

export interface EncodedImage {
  png: Buffer;
  width: number;
  height: number;
}

/** What an analysis gets to look at; the processing step prepares it once per image. */
export interface AnalysisInput {
  /** The image scaled to fit 1024×1024 (the large thumbnail's pixels, before encoding). */
  pixels: RawImage;
  /** A greyscale PNG sized for OCR, made on demand because only text recognition needs it. */
  textImage: () => Promise<EncodedImage>;
}

/**
 * Image understanding behind one interface: local models in the embedded home, Rekognition
 * on AWS. Results follow Rekognition's conventions (confidence 0–100, relative boxes).
 */
export interface Analyzer {
  analyze<N extends AnalysisName>(name: N, input: AnalysisInput): Promise<AnalysisResults[N]>;
  /** Which model produced each analysis, for the `models` field. */
  modelName(name: AnalysisName): Promise<string>;
}
