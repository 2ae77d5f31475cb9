import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AnalysisName,
  type AnalysisResults,
  type BoundingBox,
  EMOTION_TYPES,
} from '../../src/core/analysis.ts';
import type { AnalysisInput, Analyzer } from '../../src/ports/analyzer.ts';

export interface AnalyzerHarness {
  create(): Promise<Analyzer>;
  /** The image every analysis looks at, prepared as the processing step prepares it. */
  input(): Promise<AnalysisInput>;
  /** The analyses to run: a local model costs seconds to load, so a harness may run fewer. */
  analyses: readonly AnalysisName[];
  /**
   * What this image is known to contain (a face, a label...), so the shape checks below have
   * something to check: an analysis returning nothing would pass them all.
   */
  finds: ReadonlyArray<AnalysisName | 'labels'>;
  close?(analyzer: Analyzer): Promise<void>;
}

/** A confidence as every result carries it: 0–100 with at most one decimal (Rekognition's scale). */
function expectConfidence(value: unknown, min = 0): void {
  expect(typeof value).toBe('number');
  const n = value as number;
  expect(n).toBeGreaterThanOrEqual(min);
  expect(n).toBeLessThanOrEqual(100);
  expect(Math.round(n * 10) / 10).toBe(n);
}

/** A box as fractions of the displayed image, lying inside it. */
function expectBox(box: BoundingBox): void {
  expect(Object.keys(box).sort()).toEqual(['height', 'left', 'top', 'width']);
  for (const v of Object.values(box)) {
    expect(v).toBeGreaterThanOrEqual(0);
    expect(v).toBeLessThanOrEqual(1);
  }
  expect(box.left + box.width).toBeLessThanOrEqual(1 + 1e-9);
  expect(box.top + box.height).toBeLessThanOrEqual(1 + 1e-9);
}

const expectName = (name: unknown) => {
  expect(typeof name).toBe('string');
  expect((name as string).trim()).not.toBe('');
};

/**
 * What the core relies on from any Analyzer, local models or Rekognition: each analysis
 * returns its documented shape with Rekognition's conventions (confidence 0–100 with one
 * decimal, boxes inside the image, emotion types from EMOTION_TYPES, thresholds as the
 * README documents them), labels strongest first (the core takes the first as the image's
 * confidence), celebrities an array, and a model name for every analysis.
 */
export function analyzerContract(harness: AnalyzerHarness): void {
  let analyzer: Analyzer;
  let input: AnalysisInput;
  const found: Partial<AnalysisResults> = {};

  beforeAll(async () => {
    analyzer = await harness.create();
    input = await harness.input();
    for (const name of harness.analyses) {
      (found as any)[name] = await analyzer.analyze(name, input);
    }
  }, 120_000);
  afterAll(async () => {
    if (analyzer) await harness.close?.(analyzer);
  });

  const ran = (name: AnalysisName) => harness.analyses.includes(name);
  const expectFound = (what: AnalysisName | 'labels', items: unknown[]) => {
    if (harness.finds.includes(what)) expect(items.length).toBeGreaterThan(0);
  };

  if (ran('objects'))
    it('finds objects with a name, a confidence ≥ 35 and a box', () => {
      const objects = found.objects ?? [];
      expectFound('objects', objects);
      for (const object of objects) {
        expect(Object.keys(object).sort()).toEqual(['boundingBox', 'confidence', 'name']);
        expectName(object.name);
        expectConfidence(object.confidence, 35);
        expectBox(object.boundingBox);
      }
    });

  if (ran('faces'))
    it('describes faces: box, confidence, age range, gender, emotions strongest first', () => {
      const faces = found.faces ?? [];
      expectFound('faces', faces);
      for (const face of faces) {
        expect(Object.keys(face).sort()).toEqual([
          'ageRange',
          'boundingBox',
          'confidence',
          'emotions',
          'gender',
        ]);
        expectBox(face.boundingBox);
        expectConfidence(face.confidence);
        if (face.ageRange !== null) {
          expect(Number.isInteger(face.ageRange.low)).toBe(true);
          expect(face.ageRange.low).toBeGreaterThanOrEqual(0);
          expect(face.ageRange.high).toBeGreaterThanOrEqual(face.ageRange.low);
        }
        if (face.gender !== null) {
          expect(['Male', 'Female']).toContain(face.gender.value);
          expectConfidence(face.gender.confidence);
        }
        for (const emotion of face.emotions) {
          expect(EMOTION_TYPES).toContain(emotion.type);
          expectConfidence(emotion.confidence);
        }
        const strengths = face.emotions.map((e) => e.confidence);
        expect(strengths).toEqual([...strengths].sort((a, b) => b - a));
      }
    });

  if (ran('moderation'))
    it('moderates with labels ≥ 50 under a parent name ("" at the top) and class scores', () => {
      const moderation = found.moderation;
      expect(Object.keys(moderation ?? {}).sort()).toEqual(['classes', 'labels']);
      expectFound('moderation', moderation?.labels ?? []);
      for (const label of moderation?.labels ?? []) {
        expect(Object.keys(label).sort()).toEqual(['confidence', 'name', 'parentName']);
        expectName(label.name);
        expectConfidence(label.confidence, 50);
        expect(typeof label.parentName).toBe('string');
      }
      for (const [name, score] of Object.entries(moderation?.classes ?? {})) {
        expectName(name);
        expectConfidence(score);
      }
    });

  if (ran('text'))
    it('reads text as non-empty lines with a confidence ≥ 70 and a box', () => {
      const lines = found.text ?? [];
      expectFound('text', lines);
      for (const line of lines) {
        expect(Object.keys(line).sort()).toEqual(['boundingBox', 'confidence', 'text']);
        expectName(line.text);
        expect(line.text).toBe(line.text.trim());
        expectConfidence(line.confidence, 70);
        expectBox(line.boundingBox);
      }
    });

  it('labels the image with distinct names and their parents, strongest first', async () => {
    const labels = await analyzer.labels(found, input);
    expect(Array.isArray(labels)).toBe(true);
    expectFound('labels', labels);
    for (const label of labels) {
      expect(Object.keys(label).sort()).toEqual(['confidence', 'name', 'parents']);
      expectName(label.name);
      expectConfidence(label.confidence);
      expect(Array.isArray(label.parents)).toBe(true);
      for (const parent of label.parents) expectName(parent);
    }
    const names = labels.map((l) => l.name);
    expect(new Set(names).size).toBe(names.length);
    const strengths = labels.map((l) => l.confidence);
    expect(strengths).toEqual([...strengths].sort((a, b) => b - a));
  });

  it('answers celebrities with an array of names and confidences', async () => {
    const celebrities = await analyzer.celebrities(input);
    expect(Array.isArray(celebrities)).toBe(true);
    for (const celebrity of celebrities) {
      expect(Object.keys(celebrity).sort()).toEqual(['confidence', 'name']);
      expectName(celebrity.name);
      expectConfidence(celebrity.confidence);
    }
  });

  // Naming a model loads it locally: only for the analyses this harness runs.
  describe('modelName', () => {
    it.each(harness.analyses.map((name) => ({ name })))('names the model behind $name', async ({ name }) => {
      const model = await analyzer.modelName(name);
      expect(typeof model).toBe('string');
      expect(model.trim()).not.toBe('');
    });
  });
}
