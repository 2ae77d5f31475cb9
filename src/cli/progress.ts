import { basename } from 'node:path';
import cliProgress from 'cli-progress';

/** How `upload` tells the user where each file is. */
export interface UploadProgress {
  /** `percent` of this file's whole journey (upload, then processing when waiting). */
  update(file: string, percent: number, phase: string): void;
  /** The file is done (or failed); `line` is its result as a line of text. */
  finished(file: string, line: string): void;
  stop(): void;
}

/**
 * On a terminal: a bar per file in flight and one for the whole batch, with each result
 * printed above them as it comes. Otherwise: a plain line per result (no escape codes), or
 * nothing at all for --json, which prints once at the end.
 */
export function uploadProgress(total: number, mode: 'bars' | 'lines' | 'quiet'): UploadProgress {
  if (mode === 'quiet') return { update() {}, finished() {}, stop() {} };
  if (mode === 'lines')
    return {
      update() {},
      finished: (_file, line) => process.stdout.write(`${line}\n`),
      stop() {},
    };
  const bars = new cliProgress.MultiBar(
    {
      format: ' {bar} {percentage}% | {name} {phase}',
      hideCursor: true,
      clearOnComplete: true,
      stream: process.stdout,
      autopadding: true,
    },
    cliProgress.Presets.shades_classic,
  );
  const overall = bars.create(
    total,
    0,
    {},
    { format: ' {bar} {value}/{total} images | {duration_formatted}' },
  );
  const perFile = new Map<string, cliProgress.SingleBar>();
  return {
    update(file, percent, phase) {
      let bar = perFile.get(file);
      if (!bar) {
        bar = bars.create(100, 0, { name: basename(file), phase });
        perFile.set(file, bar);
      }
      bar.update(Math.round(percent), { phase });
    },
    finished(file, line) {
      const bar = perFile.get(file);
      if (bar) bars.remove(bar);
      perFile.delete(file);
      bars.log(`${line}\n`);
      overall.increment();
    },
    stop: () => bars.stop(),
  };
}
