import { ImageApiError, ImageApiTimeoutError } from '../client/index.ts';

/** What every command's output depends on: --json, and whether stdout is a terminal. */
export interface OutputMode {
  json: boolean;
  tty: boolean;
}

export function outputMode(json: boolean): OutputMode {
  return { json, tty: !json && process.stdout.isTTY === true };
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printLine(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** A plain text table: columns padded to their widest cell, the last one left ragged. */
export function formatTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, i) =>
    Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '-';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** An error as `{code, message, status?}`: the API's own, or one of ours for the client side. */
export function describeError(error: unknown): { code: string; message: string; status?: number } {
  if (error instanceof ImageApiError)
    return { code: error.code, message: error.message, status: error.status };
  if (error instanceof ImageApiTimeoutError) return { code: 'TIMEOUT', message: error.message };
  if (error instanceof Error) {
    // fetch's "fetch failed" hides the reason (ECONNREFUSED, ENOTFOUND …) in its cause.
    const cause = (error.cause as { code?: unknown; message?: unknown } | undefined) ?? undefined;
    if (error.message === 'fetch failed')
      return {
        code: 'UNREACHABLE',
        message: `cannot reach the API: ${String(cause?.code ?? cause?.message ?? 'network error')}`,
      };
    const { code } = error as { code?: unknown };
    return { code: typeof code === 'string' ? code : 'ERROR', message: error.message };
  }
  return { code: 'ERROR', message: String(error) };
}

/** The one-line form of an error, e.g. `INVALID_API_KEY (403): Invalid API key`. */
export function errorLine(error: unknown): string {
  const { code, message, status } = describeError(error);
  return `${code}${status ? ` (${status})` : ''}: ${message}`;
}
