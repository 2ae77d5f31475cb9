import { describe, expect, it } from 'vitest';
import type { AnalysisInput, Analyzer } from '../ports/analyzer.ts';
import type { AnalysisName } from './analysis.ts';
import { analyzeImage } from './analyze-image.ts';

const input: AnalysisInput = {
  pixels: { data: Buffer.alloc(3), width: 1, height: 1 },
  jpeg: Buffer.from([0xff, 0xd8, 0xff]),
  textImage: async () => ({ data: Buffer.alloc(3), width: 1, height: 1 }),
};

/** A provider that labels and recognises on its own, as Rekognition does. */
function provider(options: { labelsFail?: boolean; faces?: number } = {}): Analyzer & { sawJpeg: boolean } {
  const face = {
    boundingBox: { left: 0.1, top: 0.1, width: 0.2, height: 0.2 },
    confidence: 99,
    ageRange: null,
    gender: null,
    emotions: [],
  };
  return {
    sawJpeg: false,
    async analyze(name) {
      const faces = Array.from({ length: options.faces ?? 1 }, () => face);
      const results = { objects: [], faces, moderation: { labels: [], classes: {} }, text: [] };
      return results[name] as never;
    },
    async modelName(name) {
      return `provider ${name}`;
    },
    async labels(_found, given) {
      if (options.labelsFail) throw new Error('throttled');
      this.sawJpeg = given.jpeg.length > 0;
      return [{ name: 'Skyline', confidence: 91.5, parents: ['City'] }];
    },
    async celebrities() {
      return [{ name: 'Eileen Collins', confidence: 99.1 }];
    },
  };
}

const noReport = async () => {};

describe('Function: analyzeImage', () => {
  it('takes labels from the analyzer, with the encoded image, and celebrities when faces were asked for', async () => {
    const analyzer = provider();
    const { analysis, terms } = await analyzeImage(analyzer, ['objects', 'faces'], input, noReport);
    expect(analyzer.sawJpeg).toBe(true);
    expect(analysis).toMatchObject({
      labels: ['Skyline'],
      labelDetails: [{ name: 'Skyline', confidence: 91.5, parents: ['City'] }],
      confidence: 91.5,
      celebrities: [{ name: 'Eileen Collins', confidence: 99.1 }],
      errors: [],
    });
    expect(terms.labels).toEqual(['skyline']);
  });

  it('asks for no celebrities without a faces analysis, or when it found no face', async () => {
    expect((await analyzeImage(provider(), ['objects'], input, noReport)).analysis.celebrities).toEqual([]);
    const faceless = await analyzeImage(provider({ faces: 0 }), ['faces'], input, noReport);
    expect(faceless.analysis.celebrities).toEqual([]);
  });

  it('records a labelling failure against the first analysis and keeps what the steps found', async () => {
    const names: AnalysisName[] = ['moderation', 'text'];
    const { analysis } = await analyzeImage(provider({ labelsFail: true }), names, input, noReport);
    expect(analysis.labels).toEqual([]);
    expect(analysis.errors).toEqual([
      { step: 'moderation', code: 'ANALYSIS_FAILED', message: 'labels: throttled' },
    ]);
    expect(analysis.models).toEqual({ moderation: 'provider moderation', text: 'provider text' });
  });

  it('lets a temporary failure retry the job, except on the last attempt', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { retryable: true });
    const analyzer = { ...provider(), analyze: async () => Promise.reject(throttled) };
    await expect(
      analyzeImage(analyzer, ['objects'], input, noReport, { retryTemporaryFailures: true }),
    ).rejects.toBe(throttled);
    const last = await analyzeImage(analyzer, ['objects'], input, noReport, {
      retryTemporaryFailures: false,
    });
    expect(last.analysis.errors).toEqual([
      { step: 'objects', code: 'ANALYSIS_FAILED', message: 'objects: Rate exceeded' },
    ]);
  });
});
