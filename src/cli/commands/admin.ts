import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { contextOf, positiveInt } from '../context.ts';
import { formatTable, printJson, printLine } from '../output.ts';

/** `imgapi keys …` and `imgapi dlq …`: the admin routes (they need the admin key). */
export function adminCommands(program: Command): void {
  const keys = program.command('keys').description('manage API keys (admin key needed)');
  keys
    .command('create')
    .description('create a key (its own tenant); its secret is shown once')
    .argument('<name>')
    .option('--rps <n>', 'requests per second', positiveInt('--rps', 100_000))
    .option('--burst <n>', 'burst size', positiveInt('--burst', 1_000_000))
    .option('--daily-quota <n>', 'requests per UTC day', positiveInt('--daily-quota'))
    .action(
      async (
        name: string,
        flags: { rps?: number; burst?: number; dailyQuota?: number },
        command: Command,
      ) => {
        const { client, out } = contextOf(command);
        const rateLimit =
          flags.rps || flags.burst
            ? { rps: flags.rps ?? flags.burst ?? 1, burst: flags.burst ?? flags.rps ?? 1 }
            : undefined;
        const created = await client.keys.create({ name, rateLimit, dailyQuota: flags.dailyQuota });
        if (out.json) return printJson(created);
        printLine(
          `keyId   ${created.keyId}\napiKey  ${created.apiKey}\n\nThe key is shown only now; keep it.`,
        );
      },
    );
  keys
    .command('list')
    .description('list keys (never their secrets)')
    .action(async (_flags: object, command: Command) => {
      const { client, out } = contextOf(command);
      const list = await client.keys.list();
      if (out.json) return printJson(list);
      const rows = list.map((key) => [
        key.keyId,
        key.name,
        key.admin ? 'admin' : key.revokedAt ? 'revoked' : 'active',
        `${key.rateLimit.rps}/s burst ${key.rateLimit.burst}`,
        key.dailyQuota === 0 ? 'unlimited' : String(key.dailyQuota),
      ]);
      printLine(formatTable(['KEY ID', 'NAME', 'STATE', 'RATE', 'DAILY QUOTA'], rows));
    });
  keys
    .command('revoke')
    .description('revoke a key')
    .argument('<keyId>')
    .action(async (keyId: string, _flags: object, command: Command) => {
      const { client, out } = contextOf(command);
      const revoked = await client.keys.revoke(keyId);
      if (out.json) printJson(revoked);
      else printLine(`revoked ${keyId}`);
    });

  const dlq = program.command('dlq').description('jobs that failed every attempt (admin key needed)');
  dlq
    .command('list')
    .description('list dead letters and why they failed')
    .action(async (_flags: object, command: Command) => {
      const { client, out } = contextOf(command);
      const letters = await client.deadLetters.list();
      if (out.json) return printJson(letters);
      if (letters.length === 0) return printLine('No dead letters.');
      const rows = letters.map((letter) => [
        letter.id,
        letter.imageId ?? '-',
        String(letter.receiveCount),
        letter.deadLetteredAt,
        letter.lastError ?? '-',
      ]);
      printLine(formatTable(['ID', 'IMAGE', 'ATTEMPTS', 'DEAD SINCE', 'LAST ERROR'], rows));
    });
  dlq
    .command('redrive')
    .description('send dead letters back to the queue: the given ids, or all of them')
    .argument('[id...]')
    .action(async (ids: string[], _flags: object, command: Command) => {
      const { client, out } = contextOf(command);
      const redriven = await client.deadLetters.redrive(ids.length > 0 ? ids : undefined);
      if (out.json) printJson({ redriven });
      else printLine(`redriven ${redriven}`);
    });
}

/**
 * `imgapi serve`: the local server as `npm start` runs it (compiled, with the same malloc
 * settings), in a child process that gets the signals this one receives, so SIGTERM drains.
 */
export function serveCommand(program: Command): void {
  program
    .command('serve')
    .description('run the API server here (as npm start does); configured by environment variables')
    .option('-p, --port <port>', 'listen port (PORT)')
    .option('--host <host>', 'listen address (HOST)')
    .option('-d, --data-dir <dir>', 'where images and the database live (DATA_DIR)')
    .addHelpText('after', '\nEvery other setting is an environment variable; see the README, Configuration.')
    .action((flags: { port?: string; host?: string; dataDir?: string }) => {
      const env = {
        MALLOC_ARENA_MAX: '2',
        MALLOC_MMAP_THRESHOLD_: '131072',
        ...process.env,
        ...(flags.port ? { PORT: flags.port } : {}),
        ...(flags.host ? { HOST: flags.host } : {}),
        ...(flags.dataDir ? { DATA_DIR: flags.dataDir } : {}),
      };
      const server = fileURLToPath(new URL('../../server.js', import.meta.url));
      const child = spawn(process.execPath, ['--enable-source-maps', server], { env, stdio: 'inherit' });
      for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
        process.on(signal, () => child.kill(signal));
      return new Promise<void>((resolve) =>
        child.once('exit', (code, signal) => {
          process.exitCode = code ?? (signal ? 1 : 0);
          resolve();
        }),
      );
    });
}
