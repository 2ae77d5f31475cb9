import type { AnalysisName, AnalysisResults, Celebrity, LabelDetail } from '../core/analysis.ts';

/** Decoded, auto-oriented sRGB pixels, 3 channels, row-major. */
export interface RawImage {
  data: Buffer;
  width: number;
  height: number;
}

/**
 * What an analysis gets to look at, prepared once per image by the processing step, in the
 * forms the providers take: raw pixels for models in this process, encoded bytes for a
 * service (Rekognition takes a JPEG or PNG of at most 5 MB).
 */
export interface AnalysisInput {
  /** The image scaled to fit 1024×1024 (the large thumbnail's pixels, before encoding). */
  pixels: RawImage;
  /** The same image as the large thumbnail's JPEG (quality 80, ≤ 1024 px: well under 5 MB). */
  jpeg: Buffer;
  /**
   * The image at 1,600–2,400 px on the long edge (small text needs more pixels than 1024),
   * made on demand: only text recognition needs it, and only for lines too small to read
   * from `pixels`.
   */
  textImage: () => Promise<RawImage>;
}

/**
 * Image understanding behind one interface: local models in the embedded home, Rekognition
 * on AWS. Results follow Rekognition's conventions (confidence 0–100, relative boxes).
 */
export interface Analyzer {
  // An error whose `retryable` is true (a throttled service) means "try this image later":
  // the job is retried with backoff, and only on its last attempt is the analysis recorded
  // as failed. Any other error marks that analysis failed at once.
  analyze<N extends AnalysisName>(name: N, input: AnalysisInput): Promise<AnalysisResults[N]>;
  /** Which model produced each analysis, for the `models` field. */
  modelName(name: AnalysisName): Promise<string>;
  /**
   * Image-level labels, once the requested analyses have run: derived from what they found
   * where there is no label model (local), a label detector's own where there is (DetectLabels).
   */
  labels(found: Partial<AnalysisResults>, input: AnalysisInput): Promise<LabelDetail[]>;
  /** Famous people among the faces (Rekognition); [] where nothing can recognise them. */
  celebrities(input: AnalysisInput): Promise<Celebrity[]>;
}
