import { writeFile } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import {
  extensionFor,
  type Image,
  type ImageStatus,
  type ImageSummary,
  type ListFilters,
  VARIANTS,
  type Variant,
} from '../../client/index.ts';
import { contextOf, markFailed, positiveInt } from '../context.ts';
import { describeError, errorLine, formatBytes, formatTable, printJson, printLine } from '../output.ts';

const STATUSES = ['pending', 'uploaded', 'processing', 'completed', 'failed'] as const;

export function imageCommands(program: Command): void {
  listCommand(program);
  program
    .command('get')
    .description('show an image: metadata, analysis and signed download URLs')
    .argument('<imageId>')
    .action(async (imageId: string, _flags: object, command: Command) => {
      const { client, out } = contextOf(command);
      const image = await client.get(imageId);
      if (out.json) printJson(image);
      else printLine(describeImage(image));
      if (image.status === 'failed') markFailed();
    });
  statusCommand(program);
  deleteCommand(program);
  downloadCommand(program);
}

function listCommand(program: Command): void {
  program
    .command('list')
    .description('list images, newest first (a table; --json for the records)')
    .addOption(new Option('--status <status>', 'only images in this state').choices(STATUSES))
    .option('--label <label>', 'only images with this label, e.g. Cat')
    .option('--object <object>', 'only images where this object was detected, e.g. Cup')
    .option('--text <text>', 'only images whose recognised text contains this (3+ characters)')
    .option('-n, --limit <n>', 'how many images to show', positiveInt('--limit'), 20)
    .option('--all', 'every matching image, page after page')
    .option('--cursor <lastEvaluatedKey>', 'start after the page this cursor ended')
    .action(async (flags: ListFlags, command: Command) => {
      const { client, out } = contextOf(command);
      const limit = flags.all ? Number.POSITIVE_INFINITY : flags.limit;
      const filters: ListFilters = {
        limit: Math.min(100, limit),
        status: flags.status,
        label: flags.label,
        object: flags.object,
        text: flags.text,
        lastEvaluatedKey: flags.cursor,
      };
      const images: ImageSummary[] = [];
      let cursor: string | undefined;
      for await (const page of client.list(filters)) {
        const shown = page.images.slice(0, limit - images.length);
        images.push(...shown);
        // A cursor is only worth printing when this page was shown whole.
        cursor = shown.length === page.images.length ? page.lastEvaluatedKey : undefined;
        if (images.length >= limit) break;
      }
      if (out.json) printJson(cursor ? { images, lastEvaluatedKey: cursor } : { images });
      else printImages(images, cursor);
    });
}

interface ListFlags {
  status?: (typeof STATUSES)[number];
  label?: string;
  object?: string;
  text?: string;
  limit: number;
  all?: boolean;
  cursor?: string;
}

function printImages(images: ImageSummary[], cursor: string | undefined): void {
  if (images.length === 0) {
    printLine('No images.');
    return;
  }
  const rows = images.map((image) => [
    image.imageId,
    image.status,
    formatBytes(image.size),
    image.uploadedAt?.replace(/\.\d+Z$/, 'Z') ?? '-',
    image.fileName,
  ]);
  printLine(formatTable(['ID', 'STATUS', 'SIZE', 'UPLOADED', 'FILE'], rows));
  if (cursor) printLine(`\nMore: imgapi list --cursor ${cursor}`);
}

function describeImage(image: Image): string {
  const { metadata, analysis } = image;
  const lines = [
    `id        ${image.imageId}`,
    `file      ${image.fileName} (${image.fileType}, ${formatBytes(image.size)})`,
    `status    ${image.status}`,
    `uploaded  ${image.uploadedAt ?? '-'}`,
  ];
  if (metadata) lines.push(`size      ${metadata.width}×${metadata.height} ${metadata.format}`);
  if (analysis) {
    lines.push(`labels    ${analysis.labels.join(', ') || '-'}`);
    lines.push(`objects   ${analysis.objects.map((o) => `${o.name} ${o.confidence}%`).join(', ') || '-'}`);
    lines.push(`faces     ${analysis.faces}`);
    if (analysis.text.length > 0) lines.push(`text      ${analysis.text.map((t) => t.text).join(' / ')}`);
  }
  if (image.downloadUrl) lines.push(`original  ${image.downloadUrl}`);
  return lines.join('\n');
}

function statusCommand(program: Command): void {
  program
    .command('status')
    .description('processing status of an image, per step')
    .argument('<imageId>')
    .option('-w, --watch', 'keep asking until the image is completed or failed, printing progress')
    .option('--timeout <seconds>', 'with --watch: give up after this long', positiveInt('--timeout'), 300)
    .addHelpText('after', '\nExit status 1 when the image has failed.')
    .action(async (imageId: string, flags: { watch?: boolean; timeout: number }, command: Command) => {
      const { client, out } = contextOf(command);
      let status: ImageStatus;
      if (flags.watch) {
        let last = '';
        status = await client.waitFor(imageId, {
          timeoutMs: flags.timeout * 1000,
          pollSeconds: 2,
          onStatus: (seen) => {
            const line = `${seen.status} ${seen.progress}%  ${seen.message}`;
            if (!out.json && line !== last) printLine(line);
            last = line;
          },
        });
      } else status = await client.status(imageId);
      if (out.json) printJson(status);
      else if (!flags.watch) printLine(describeStatus(status));
      else if (status.error) printLine(`${status.error.code}: ${status.error.message}`);
      if (status.status === 'failed') markFailed();
    });
}

function describeStatus(status: ImageStatus): string {
  const steps = Object.entries(status.steps).map(([step, state]) => `  ${step.padEnd(11)}${state}`);
  const error = status.error ? [`error     ${status.error.code}: ${status.error.message}`] : [];
  return [
    `status    ${status.status} ${status.progress}%`,
    `message   ${status.message}`,
    ...error,
    'steps',
    ...steps,
  ].join('\n');
}

function deleteCommand(program: Command): void {
  program
    .command('delete')
    .description('delete images, their files and queued jobs')
    .argument('<imageId...>')
    .action(async (imageIds: string[], _flags: object, command: Command) => {
      const { client, out } = contextOf(command);
      const results = [];
      for (const imageId of imageIds) {
        try {
          await client.delete(imageId);
          results.push({ imageId, deleted: true });
          if (!out.json) printLine(`deleted ${imageId}`);
        } catch (error) {
          markFailed();
          results.push({ imageId, deleted: false, error: describeError(error) });
          if (!out.json) process.stderr.write(`imgapi: ${imageId}: ${errorLine(error)}\n`);
        }
      }
      if (out.json) printJson(results);
    });
}

function downloadCommand(program: Command): void {
  program
    .command('download')
    .description('download the original or a processed variant of an image')
    .argument('<imageId>')
    .addOption(new Option('--variant <variant>', 'which file').choices(VARIANTS).default('original'))
    .option('-o, --output <file>', 'where to write it ("-" for stdout; default <imageId>-<variant>.<ext>)')
    .action(async (imageId: string, flags: { variant: Variant; output?: string }, command: Command) => {
      const { client, out } = contextOf(command);
      const image = await client.get(imageId);
      const bytes = await client.download(image, flags.variant);
      if (flags.output === '-') return void process.stdout.write(bytes);
      const file = flags.output ?? `${imageId}-${flags.variant}.${variantExtension(image, flags.variant)}`;
      await writeFile(file, bytes);
      if (out.json) printJson({ imageId, variant: flags.variant, file, bytes: bytes.length });
      else printLine(`${file}  ${formatBytes(bytes.length)}`);
    });
}

function variantExtension(image: Image, variant: Variant): string {
  if (variant === 'original') return extensionFor(image.fileType);
  return variant === 'webp' ? 'webp' : 'jpg';
}
