import { Command, Option } from 'commander';
import { API_VERSION } from '../version.ts';
import { adminCommands, serveCommand } from './commands/admin.ts';
import { imageCommands } from './commands/images.ts';
import { uploadCommand } from './commands/upload.ts';
import { DEFAULT_URL } from './context.ts';

/** The `imgapi` command tree. Errors are thrown (exitOverride), not exited on: main.ts decides. */
export function createProgram(): Command {
  const program = new Command('imgapi')
    .description('Command line for serverless-image-api: upload, watch, list, download and manage images.')
    .version(API_VERSION)
    .addOption(new Option('--url <url>', 'the API').env('IMGAPI_URL').default(DEFAULT_URL))
    .addOption(new Option('--key <key>', 'API key (x-api-key)').env('IMGAPI_KEY'))
    .option('--json', 'print JSON only (one document on stdout)')
    // Inherited by every subcommand added below.
    .exitOverride()
    .showHelpAfterError()
    .configureHelp({ showGlobalOptions: true })
    .addHelpText(
      'after',
      '\nExit status: 0 ok, 1 failure (an API error, a failed image), 2 usage.\n' +
        'Example:\n  IMGAPI_KEY=sk_... imgapi upload photos/ --wait',
    );
  serveCommand(program);
  uploadCommand(program);
  imageCommands(program);
  adminCommands(program);
  return program;
}
