import { fileURLToPath } from 'node:url';
import {
  DetectFacesCommand,
  DetectLabelsCommand,
  DetectModerationLabelsCommand,
  DetectTextCommand,
  RecognizeCelebritiesCommand,
  RekognitionClient,
} from '@aws-sdk/client-rekognition';
import { mockClient } from 'aws-sdk-client-mock';
import { describe } from 'vitest';
import { RekognitionAnalyzer } from '../../src/adapters/aws/rekognition-analyzer.ts';
import { LocalAnalyzer } from '../../src/adapters/local/analysis/local-analyzer.ts';
import { SharpPipeline } from '../../src/core/sharp-pipeline.ts';
import type { AnalysisInput } from '../../src/ports/analyzer.ts';
import {
  DETECT_FACES,
  DETECT_LABELS,
  DETECT_MODERATION_LABELS,
  DETECT_TEXT,
  RECOGNIZE_CELEBRITIES,
} from '../helpers/rekognition-responses.ts';
import { type AnalyzerHarness, analyzerContract } from './analyzer.contract.ts';

/** The analysis input exactly as the processing step prepares it from an uploaded photo. */
async function inputFrom(file: string): Promise<AnalysisInput> {
  const path = fileURLToPath(new URL(`../fixtures/${file}`, import.meta.url));
  const pipeline = new SharpPipeline(100_000_000);
  const thumbs = await pipeline.thumbnails(path);
  return { pixels: thumbs.pixels, jpeg: thumbs.large, textImage: () => pipeline.textImage(path) };
}

const rekognition: AnalyzerHarness = {
  async create() {
    const client = new RekognitionClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    });
    const stub = mockClient(client);
    // Registered first: a catch-all registered after the specific ones would override them.
    stub.onAnyCommand().rejects(new Error('unexpected command'));
    stub.on(DetectLabelsCommand).resolves(DETECT_LABELS);
    stub.on(DetectFacesCommand).resolves(DETECT_FACES);
    stub.on(DetectModerationLabelsCommand).resolves(DETECT_MODERATION_LABELS);
    stub.on(DetectTextCommand).resolves(DETECT_TEXT);
    stub.on(RecognizeCelebritiesCommand).resolves(RECOGNIZE_CELEBRITIES);
    return new RekognitionAnalyzer({ client });
  },
  input: () => inputFrom('astronaut.jpg'),
  analyses: ['objects', 'faces', 'moderation', 'text'],
  finds: ['objects', 'faces', 'moderation', 'text', 'labels'],
};

/**
 * The real models on a real portrait, every analysis: 11 s of loading and inference on this
 * 2-core machine at a load average of 12 (4 s for objects and faces alone). The portrait has
 * no text and nothing to moderate, so those two are checked for shape only here;
 * test/analysis.test.ts reads a printed page through the whole HTTP flow.
 */
const local: AnalyzerHarness = {
  create: async () => new LocalAnalyzer(),
  input: () => inputFrom('astronaut.jpg'),
  analyses: ['objects', 'faces', 'moderation', 'text'],
  finds: ['objects', 'faces', 'labels'],
  close: (analyzer) => (analyzer as LocalAnalyzer).close(),
};

describe.each([
  { name: 'RekognitionAnalyzer (aws-sdk-client-mock, API reference documents)', harness: rekognition },
  { name: 'LocalAnalyzer (real models, astronaut.jpg)', harness: local },
])('Analyzer contract › $name', ({ harness }) => {
  analyzerContract(harness);
});
