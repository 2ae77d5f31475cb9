import { type Command, InvalidArgumentError } from 'commander';
import type { AnalysisName, ImageApiClient, ImageStatus } from '../../client/index.ts';
import { eachLimited } from '../../core/each-limited.ts';
import { contextOf, markFailed, positiveInt, usageError } from '../context.ts';
import { expandInputs } from '../files.ts';
import { describeError, printJson } from '../output.ts';
import { type UploadProgress, uploadProgress } from '../progress.ts';

const ANALYSES: readonly AnalysisName[] = ['objects', 'faces', 'moderation', 'text'];

interface UploadFlags {
  wait?: boolean;
  concurrency: number;
  analysis?: AnalysisName[];
  timeout: number;
}

/** One file's outcome, as --json prints it. */
interface UploadOutcome {
  file: string;
  imageId: string | null;
  status: string;
  error?: { code: string; message: string; status?: number };
}

function parseAnalysis(value: string): AnalysisName[] {
  if (value === 'none') return [];
  const names = value.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !ANALYSES.includes(name as AnalysisName));
  if (unknown.length > 0)
    throw new InvalidArgumentError(
      `expected none or a list of ${ANALYSES.join(', ')} but received ${unknown.join(', ')}`,
    );
  return names as AnalysisName[];
}

export function uploadCommand(program: Command): void {
  program
    .command('upload')
    .description('upload image files, directories (recursively, by extension) or globs')
    .argument('<paths...>', 'files, directories or quoted globs such as "photos/**/*.jpg"')
    .option('-w, --wait', 'wait until each image is processed and print its final status')
    .option('-c, --concurrency <n>', 'files uploaded at once', positiveInt('--concurrency', 64), 4)
    .option(
      '-a, --analysis <list>',
      'analyses to run: none or a list of objects,faces,moderation,text',
      parseAnalysis,
    )
    .option(
      '--timeout <seconds>',
      'with --wait: give up on an image after this long',
      positiveInt('--timeout'),
      300,
    )
    .addHelpText('after', '\nExit status 1 when any file failed to upload or to process.')
    .action(async (paths: string[], flags: UploadFlags, command: Command) => {
      const { client, out } = contextOf(command);
      const { files, unmatched } = await expandInputs(paths);
      if (unmatched.length > 0) usageError(command, `no image files in or matching: ${unmatched.join(', ')}`);
      const progress = uploadProgress(files.length, out.json ? 'quiet' : out.tty ? 'bars' : 'lines');
      const outcomes: UploadOutcome[] = [];
      try {
        await eachLimited(files, flags.concurrency, async (file) => {
          const outcome = await uploadOne(client, file, flags, progress, out.tty);
          outcomes.push(outcome);
          if (outcome.status === 'failed' || outcome.error) markFailed();
          progress.finished(file, resultLine(outcome));
        });
      } finally {
        progress.stop();
      }
      if (out.json) printJson(files.map((file) => outcomes.find((outcome) => outcome.file === file)));
    });
}

async function uploadOne(
  client: ImageApiClient,
  file: string,
  flags: UploadFlags,
  progress: UploadProgress,
  tty: boolean,
): Promise<UploadOutcome> {
  let imageId: string | null = null;
  try {
    progress.update(file, 0, 'uploading');
    ({ imageId } = await client.upload(file, { analysis: flags.analysis }));
    if (!flags.wait) return { file, imageId, status: 'uploaded' };
    progress.update(file, 20, 'processing');
    const onStatus = (status: ImageStatus) =>
      progress.update(file, 20 + status.progress * 0.8, status.status);
    // On a terminal, short polls move the bar step by step; otherwise one long poll is enough.
    const final = await client.waitFor(imageId, {
      timeoutMs: flags.timeout * 1000,
      pollSeconds: tty ? 1 : 20,
      onStatus,
    });
    return final.error
      ? { file, imageId, status: final.status, error: final.error }
      : { file, imageId, status: final.status };
  } catch (error) {
    return { file, imageId, status: 'error', error: describeError(error) };
  }
}

function resultLine(outcome: UploadOutcome): string {
  const error = outcome.error ? `  ${outcome.error.code}: ${outcome.error.message}` : '';
  return `${outcome.file}  ${outcome.imageId ?? '-'}  ${outcome.status}${error}`;
}
