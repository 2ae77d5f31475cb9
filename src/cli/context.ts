import { type Command, InvalidArgumentError } from 'commander';
import { createImageApiClient, type ImageApiClient } from '../client/index.ts';
import { type OutputMode, outputMode } from './output.ts';

export const DEFAULT_URL = 'http://127.0.0.1:3000';

/** Exit codes: a usage error is 2 (commander's own errors are mapped to it in main.ts). */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

interface GlobalOptions {
  url: string;
  key?: string;
  json?: boolean;
}

/** What a command needs from the global options: a client for --url/--key, and the output mode. */
export function contextOf(command: Command): { client: ImageApiClient; out: OutputMode } {
  const { url, key, json } = command.optsWithGlobals<GlobalOptions>();
  if (!key) usageError(command, 'no API key: pass --key <key> or set IMGAPI_KEY');
  return { client: createImageApiClient({ baseUrl: url, apiKey: key }), out: outputMode(json === true) };
}

/** Ends the command as a usage error (exit 2), with its help text as commander shows it. */
export function usageError(command: Command, message: string): never {
  command.error(`error: ${message}`, { exitCode: EXIT.usage, code: 'imgapi.usage' });
}

/** Marks the run as failed (exit 1) without stopping it: the other items still run. */
export function markFailed(): void {
  process.exitCode = EXIT.failure;
}

/** commander argument parser for a positive integer option. */
export function positiveInt(name: string, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > max)
      throw new InvalidArgumentError(`${name}: expected an integer from 1 to ${max} but received ${value}`);
    return n;
  };
}
