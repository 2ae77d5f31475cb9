import type {
  DetectFacesResponse,
  DetectLabelsResponse,
  DetectModerationLabelsResponse,
  DetectTextResponse,
  RecognizeCelebritiesResponse,
  BoundingBox as RekognitionBox,
} from '@aws-sdk/client-rekognition';
import {
  type AnalysisResults,
  type BoundingBox,
  type Celebrity,
  type DetectedObject,
  EMOTION_TYPES,
  type EmotionType,
  type FaceDetail,
  type LabelDetail,
  type ModerationLabel,
  percent,
  relativeBox,
  type TextDetection,
} from '../../core/analysis.ts';

/**
 * Rekognition's responses turned into our result shapes. Rekognition already speaks our
 * conventions (confidence 0–100, boxes as fractions of the image), so this only rounds
 * confidences to one decimal, clamps boxes into the image, drops what we have no field for
 * and applies the thresholds. Entries missing what gives them meaning (a box, a name) are
 * dropped rather than invented.
 */

/** Lowest confidence (0–100) kept for each kind of result. */
export interface RekognitionThresholds {
  /** Object instances (DetectLabels' `Instances`). */
  objects: number;
  /** Image-level labels (DetectLabels' `Labels`). */
  labels: number;
  faces: number;
  moderation: number;
  /** Text lines. */
  text: number;
}

/** Rekognition's 0–100 float as our one-decimal confidence; a missing one counts as 0. */
export function confidenceOf(value: number | undefined): number {
  return percent((value ?? 0) / 100);
}

/** A relative box clamped into the image (Rekognition's boxes can stick out of it). */
export function boxOf(box: RekognitionBox | undefined): BoundingBox | null {
  if (box?.Left === undefined || box.Top === undefined || box.Width === undefined || box.Height === undefined)
    return null;
  return relativeBox(box.Left, box.Top, box.Width, box.Height, 1, 1);
}

const strongestFirst = <T extends { confidence: number }>(items: T[]): T[] =>
  items.sort((a, b) => b.confidence - a.confidence);

/** Every instance with a box of every label becomes an object named after its label. */
export function objectsOf(response: DetectLabelsResponse, min: number): DetectedObject[] {
  const objects: DetectedObject[] = [];
  for (const label of response.Labels ?? []) {
    if (!label.Name) continue;
    for (const instance of label.Instances ?? []) {
      const boundingBox = boxOf(instance.BoundingBox);
      const confidence = confidenceOf(instance.Confidence ?? label.Confidence);
      if (boundingBox && confidence >= min) objects.push({ name: label.Name, confidence, boundingBox });
    }
  }
  return strongestFirst(objects);
}

/** Image-level labels with their ancestors, strongest first (the core reads the first as the image's confidence). */
export function labelsOf(response: DetectLabelsResponse, min: number): LabelDetail[] {
  const labels: LabelDetail[] = [];
  for (const label of response.Labels ?? []) {
    const confidence = confidenceOf(label.Confidence);
    if (!label.Name || confidence < min) continue;
    const parents = (label.Parents ?? []).flatMap((parent) => (parent.Name ? [parent.Name] : []));
    labels.push({ name: label.Name, confidence, parents });
  }
  return labels.sort((a, b) => b.confidence - a.confidence || a.name.localeCompare(b.name));
}

const EMOTIONS = new Set<string>(EMOTION_TYPES);

/** Faces with box, age range, gender and emotions (strongest first; UNKNOWN dropped). */
export function facesOf(response: DetectFacesResponse, min: number): FaceDetail[] {
  const faces: FaceDetail[] = [];
  for (const face of response.FaceDetails ?? []) {
    const boundingBox = boxOf(face.BoundingBox);
    const confidence = confidenceOf(face.Confidence);
    if (!boundingBox || confidence < min) continue;
    const { AgeRange: age, Gender: gender } = face;
    faces.push({
      boundingBox,
      confidence,
      ageRange: age?.Low !== undefined && age.High !== undefined ? { low: age.Low, high: age.High } : null,
      gender:
        gender?.Value === 'Male' || gender?.Value === 'Female'
          ? { value: gender.Value, confidence: confidenceOf(gender.Confidence) }
          : null,
      emotions: strongestFirst(
        (face.Emotions ?? []).flatMap((emotion) =>
          emotion.Type && EMOTIONS.has(emotion.Type)
            ? [{ type: emotion.Type as EmotionType, confidence: confidenceOf(emotion.Confidence) }]
            : [],
        ),
      ),
    });
  }
  return faces;
}

/**
 * Moderation labels, strongest first, `parentName` '' at the top of the taxonomy. `classes`
 * holds the top-level categories' confidences: the nearest thing Rekognition has to a
 * classifier's own classes (the local model reports its five).
 */
export function moderationOf(
  response: DetectModerationLabelsResponse,
  min: number,
): AnalysisResults['moderation'] {
  const labels: ModerationLabel[] = [];
  for (const label of response.ModerationLabels ?? []) {
    const confidence = confidenceOf(label.Confidence);
    if (!label.Name || confidence < min) continue;
    labels.push({ name: label.Name, confidence, parentName: label.ParentName ?? '' });
  }
  strongestFirst(labels);
  const classes: Record<string, number> = {};
  for (const label of labels) if (label.parentName === '') classes[label.name] = label.confidence;
  return { labels, classes };
}

/** Lines only (each word is also returned on its own, inside its line). */
export function textOf(response: DetectTextResponse, min: number): TextDetection[] {
  const lines: TextDetection[] = [];
  for (const detection of response.TextDetections ?? []) {
    if (detection.Type !== 'LINE') continue;
    const text = (detection.DetectedText ?? '').replace(/\s+/g, ' ').trim();
    const confidence = confidenceOf(detection.Confidence);
    const boundingBox = boxOf(detection.Geometry?.BoundingBox);
    if (text && boundingBox && confidence >= min) lines.push({ text, confidence, boundingBox });
  }
  return lines;
}

/** Recognised public figures, by match confidence; unrecognised faces are not listed. */
export function celebritiesOf(response: RecognizeCelebritiesResponse): Celebrity[] {
  return strongestFirst(
    (response.CelebrityFaces ?? []).flatMap((celebrity) =>
      celebrity.Name ? [{ name: celebrity.Name, confidence: confidenceOf(celebrity.MatchConfidence) }] : [],
    ),
  );
}
