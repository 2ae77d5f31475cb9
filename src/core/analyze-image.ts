import type { AnalysisInput, Analyzer } from '../ports/analyzer.ts';
import type { Analysis, AnalysisFailure, AnalysisName, AnalysisResults } from './analysis.ts';
import { deriveLabels } from './labels.ts';

/** What one image's analyses produced, ready to store and to index for search. */
export interface AnalysisOutcome {
  analysis: Analysis;
  terms: SearchTerms;
  stepMs: Partial<Record<AnalysisName, number>>;
}

/** The words an image can be found by: exact labels and objects, and its text for substrings. */
export interface SearchTerms {
  labels: string[];
  objects: string[];
  text: string;
}

export type StepReporter = (
  name: AnalysisName,
  state: 'processing' | 'completed' | 'failed',
) => Promise<void>;

/**
 * Runs the requested analyses one after another (each is its own step), keeping going when
 * one fails: its step is marked failed with the reason and the others still count.
 */
export async function analyzeImage(
  analyzer: Analyzer | null,
  names: readonly AnalysisName[],
  input: AnalysisInput,
  report: StepReporter,
): Promise<AnalysisOutcome> {
  const found: Partial<AnalysisResults> = {};
  const errors: AnalysisFailure[] = [];
  const models: Analysis['models'] = {};
  const stepMs: AnalysisOutcome['stepMs'] = {};
  for (const name of names) {
    const started = performance.now();
    await report(name, 'processing');
    // Only the analysis itself is caught: a failed step report (image deleted) must propagate.
    const failure = await runOne(analyzer, name, input, found, models);
    stepMs[name] = Math.round(performance.now() - started);
    if (failure) errors.push(failure);
    await report(name, failure ? 'failed' : 'completed');
  }
  const labelDetails = deriveLabels(found);
  const analysis: Analysis = {
    labels: labelDetails.map((l) => l.name),
    labelDetails,
    objects: found.objects ?? [],
    confidence: labelDetails[0]?.confidence ?? null,
    faces: found.faces?.length ?? 0,
    faceDetails: found.faces ?? [],
    moderationLabels: found.moderation?.labels ?? [],
    text: found.text ?? [],
    celebrities: [],
    models,
    errors,
  };
  return { analysis, terms: searchTermsOf(analysis), stepMs };
}

async function runOne(
  analyzer: Analyzer | null,
  name: AnalysisName,
  input: AnalysisInput,
  found: Partial<AnalysisResults>,
  models: Analysis['models'],
): Promise<AnalysisFailure | null> {
  try {
    if (!analyzer) throw new Error('no analyzer is configured on this server');
    // biome-ignore lint/suspicious/noExplicitAny: the result's type follows `name`, which TypeScript cannot narrow here.
    (found as any)[name] = await analyzer.analyze(name, input);
    models[name] = await analyzer.modelName(name);
    return null;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { step: name, code: 'ANALYSIS_FAILED', message: `${name}: ${message}` };
  }
}

export function searchTermsOf(analysis: Analysis): SearchTerms {
  const distinct = (names: string[]) => [...new Set(names.map((n) => n.toLowerCase()))];
  return {
    labels: distinct(analysis.labels),
    objects: distinct(analysis.objects.map((o) => o.name)),
    text: analysis.text.map((line) => line.text).join('\n'),
  };
}
