#!/usr/bin/env node
import { CommanderError } from 'commander';
import { EXIT } from './context.ts';
import { describeError, errorLine, printJson } from './output.ts';
import { createProgram } from './program.ts';

/** `imgapi`: exit 0 when all went well, 1 on an API error or a failed image, 2 on a usage error. */
async function main(argv: string[]): Promise<void> {
  try {
    await createProgram().parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander has printed the message (and the help); --help and --version are not errors.
      process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    process.exitCode = EXIT.failure;
    if (argv.includes('--json')) printJson({ error: describeError(error) });
    process.stderr.write(`imgapi: ${errorLine(error)}\n`);
  }
}

await main(process.argv);
