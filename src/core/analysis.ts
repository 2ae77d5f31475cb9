/**
 * The analysis result, shaped like Amazon Rekognition's responses (names, confidences 0–100,
 * bounding boxes relative to the image) so the local and AWS homes return the same JSON.
 */

/** The analyses a client can ask for; labels are derived from them, not a model of their own. */
export const ANALYSES = ['objects', 'faces', 'moderation', 'text'] as const;
export type AnalysisName = (typeof ANALYSES)[number];

/** Left/top/width/height as fractions of the displayed (auto-oriented) image, 0–1. */
export interface BoundingBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface DetectedObject {
  name: string;
  confidence: number;
  boundingBox: BoundingBox;
}

export const EMOTION_TYPES = [
  'HAPPY',
  'SAD',
  'ANGRY',
  'CONFUSED',
  'DISGUSTED',
  'SURPRISED',
  'CALM',
  'FEAR',
] as const;
export type EmotionType = (typeof EMOTION_TYPES)[number];

export interface FaceDetail {
  boundingBox: BoundingBox;
  confidence: number;
  ageRange: { low: number; high: number } | null;
  gender: { value: 'Male' | 'Female'; confidence: number } | null;
  emotions: Array<{ type: EmotionType; confidence: number }>;
}

export interface ModerationLabel {
  name: string;
  confidence: number;
  /** Empty for a top-level category, as in Rekognition. */
  parentName: string;
}

export interface TextDetection {
  text: string;
  confidence: number;
  boundingBox: BoundingBox;
}

/** One image-level label and why we believe it (Rekognition's DetectLabels shape). */
export interface LabelDetail {
  name: string;
  confidence: number;
  parents: string[];
}

/** A recognised public figure (Rekognition's RecognizeCelebrities). */
export interface Celebrity {
  name: string;
  confidence: number;
}

/** What each analysis produces, before labels are derived from all of them. */
export interface AnalysisResults {
  objects: DetectedObject[];
  faces: FaceDetail[];
  moderation: {
    labels: ModerationLabel[] /** Scores of the model's own classes, 0–100. */;
    classes: Record<string, number>;
  };
  text: TextDetection[];
}

export interface AnalysisFailure {
  step: AnalysisName;
  code: string;
  message: string;
}

/** The `analysis` field of an image, written once every requested analysis has finished. */
export interface Analysis {
  labels: string[];
  labelDetails: LabelDetail[];
  objects: DetectedObject[];
  /** Confidence of the strongest label; null when there is no label. */
  confidence: number | null;
  faces: number;
  faceDetails: FaceDetail[];
  moderationLabels: ModerationLabel[];
  text: TextDetection[];
  /** Filled only by Rekognition (AWS home); the local models do not recognise people. */
  celebrities: Celebrity[];
  models: Partial<Record<AnalysisName, string>>;
  errors: AnalysisFailure[];
}

/** Rounds a 0–1 score to a 0–100 confidence with one decimal, Rekognition's scale. */
export function percent(score: number): number {
  return Math.round(Math.min(1, Math.max(0, score)) * 1000) / 10;
}

/** Clamps a box given in pixels of a width×height image to relative coordinates. */
export function relativeBox(
  x: number,
  y: number,
  w: number,
  h: number,
  width: number,
  height: number,
): BoundingBox {
  const left = Math.max(0, x);
  const top = Math.max(0, y);
  const right = Math.min(width, x + w);
  const bottom = Math.min(height, y + h);
  const round = (v: number) => Math.round(v * 10_000) / 10_000;
  return {
    left: round(left / width),
    top: round(top / height),
    width: round(Math.max(0, right - left) / width),
    height: round(Math.max(0, bottom - top) / height),
  };
}
