import type { AnalysisInput, Analyzer } from '../ports/analyzer.ts';
import type {
  Analysis,
  AnalysisFailure,
  AnalysisName,
  AnalysisResults,
  Celebrity,
  LabelDetail,
} from './analysis.ts';

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
  options: { retryTemporaryFailures?: boolean } = {},
): Promise<AnalysisOutcome> {
  const found: Partial<AnalysisResults> = {};
  const errors: AnalysisFailure[] = [];
  const models: Analysis['models'] = {};
  const stepMs: AnalysisOutcome['stepMs'] = {};
  for (const name of names) {
    const started = performance.now();
    await report(name, 'processing');
    // Only the analysis itself is caught: a failed step report (image deleted) must propagate.
    const failure = await runOne(
      analyzer,
      name,
      input,
      found,
      models,
      options.retryTemporaryFailures ?? false,
    );
    stepMs[name] = Math.round(performance.now() - started);
    if (failure) errors.push(failure);
    await report(name, failure ? 'failed' : 'completed');
  }
  const { labelDetails, celebrities } = await describeImage(analyzer, names, found, input, errors);
  const analysis: Analysis = {
    labels: labelDetails.map((l) => l.name),
    labelDetails,
    objects: found.objects ?? [],
    confidence: labelDetails[0]?.confidence ?? null,
    faces: found.faces?.length ?? 0,
    faceDetails: found.faces ?? [],
    moderationLabels: found.moderation?.labels ?? [],
    text: found.text ?? [],
    celebrities,
    models,
    errors,
  };
  return { analysis, terms: searchTermsOf(analysis), stepMs };
}

/**
 * Labels (from the analyzer: derived locally, its own detector on AWS) and, where faces were
 * asked for, celebrities. Neither is a step of its own: a failure is recorded against the
 * analysis it belongs to and the image keeps what the steps found.
 */
async function describeImage(
  analyzer: Analyzer | null,
  names: readonly AnalysisName[],
  found: Partial<AnalysisResults>,
  input: AnalysisInput,
  errors: AnalysisFailure[],
): Promise<{ labelDetails: LabelDetail[]; celebrities: Celebrity[] }> {
  if (!analyzer || names.length === 0) return { labelDetails: [], celebrities: [] };
  const attempt = async <T>(
    step: AnalysisName,
    what: string,
    work: () => Promise<T>,
    none: T,
  ): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      errors.push({ step, code: 'ANALYSIS_FAILED', message: `${what}: ${message}` });
      return none;
    }
  };
  const [first] = names as [AnalysisName];
  const labelDetails = await attempt(first, 'labels', () => analyzer.labels(found, input), []);
  const celebrities =
    names.includes('faces') && (found.faces?.length ?? 0) > 0
      ? await attempt('faces', 'celebrities', () => analyzer.celebrities(input), [])
      : [];
  return { labelDetails, celebrities };
}

async function runOne(
  analyzer: Analyzer | null,
  name: AnalysisName,
  input: AnalysisInput,
  found: Partial<AnalysisResults>,
  models: Analysis['models'],
  retryTemporaryFailures: boolean,
): Promise<AnalysisFailure | null> {
  try {
    if (!analyzer) throw new Error('no analyzer is configured on this server');
    // biome-ignore lint/suspicious/noExplicitAny: the result's type follows `name`, which TypeScript cannot narrow here.
    (found as any)[name] = await analyzer.analyze(name, input);
    models[name] = await analyzer.modelName(name);
    return null;
  } catch (error) {
    // A temporary failure (a throttled service: the analyzer marks it retryable) fails the
    // job so the queue tries it again with backoff, unless this is the last attempt: then the
    // image completes without that analysis rather than failing for want of it.
    if (retryTemporaryFailures && (error as { retryable?: unknown }).retryable === true) throw error;
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
