import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BackupRefusedError, type BackupStage, type BackupSummary, backupDataDir } from './local/backup.ts';
import { loadConfig } from './local/config.ts';
import { configOrExplain } from './process-lifecycle.ts';

const USAGE = `Usage: npm run backup -- [--json] DEST

Backs up DATA_DIR into DEST, a new or empty directory outside DATA_DIR. Safe while the
server runs. DATA_DIR is read from the environment as npm start reads it (default ./data,
relative to the project folder); a relative DEST is relative to where you run the command.
Restore by starting a server on the copy: DATA_DIR=DEST npm start

  --json      print the summary as one line of JSON
  -h, --help  this text

Exit status: 0 done, 1 failed (DEST is left as it was), 2 refused (usage, configuration,
DEST not empty or inside DATA_DIR, no database in DATA_DIR).
`;

const EXIT = { done: 0, failed: 1, refused: 2 } as const;

/** `npm run backup -- DEST`: an online backup of the local home's DATA_DIR. */
async function main(): Promise<number> {
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    return EXIT.refused;
  }
  if (parsed.values.help) {
    process.stdout.write(USAGE);
    return EXIT.done;
  }
  if (parsed.positionals.length !== 1) {
    process.stderr.write(`Expected one DEST, got ${parsed.positionals.length}.\n\n${USAGE}`);
    return EXIT.refused;
  }
  const config = configOrExplain(loadConfig);
  if (!config) return EXIT.refused;
  const json = parsed.values.json === true;
  // npm runs scripts from the project folder; INIT_CWD is where the command was typed.
  const dest = resolve(process.env.INIT_CWD ?? process.cwd(), parsed.positionals[0] as string);
  try {
    const summary = await backupDataDir({
      dataDir: config.DATA_DIR,
      dest,
      onStage: json ? undefined : reportStage,
    });
    const notes = notesOn(summary, config.SIGNING_SECRET !== undefined);
    process.stdout.write(json ? `${JSON.stringify({ ...summary, notes })}\n` : describe(summary, notes));
    return EXIT.done;
  } catch (error) {
    if (error instanceof BackupRefusedError) {
      process.stderr.write(`Backup refused: ${error.message}\n`);
      return EXIT.refused;
    }
    process.stderr.write(
      `Backup failed; DEST is left as it was.\n${error instanceof Error ? error.stack : String(error)}\n`,
    );
    return EXIT.failed;
  }
}

function parseCommandLine(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
}

const STAGE_DONE: Record<BackupStage, string> = {
  database: 'database copied; copying image files',
  files: 'image files copied; checking the copy',
  reconcile: 'copy checked; copying the state files',
};

/** Progress on stderr, so stdout carries only the summary. */
function reportStage(stage: BackupStage): void {
  process.stderr.write(`backup: ${STAGE_DONE[stage]}\n`);
}

/** What the owner should know beyond the numbers. */
function notesOn(summary: BackupSummary, signingSecretFromEnv: boolean): string[] {
  const notes: string[] = [];
  if (signingSecretFromEnv)
    notes.push(
      'SIGNING_SECRET is set in the environment, so it is not in DATA_DIR or the backup: restore with the same SIGNING_SECRET or signed URLs stop working.',
    );
  if (summary.imagesIncomplete > 0)
    notes.push(
      `${summary.imagesIncomplete} image(s) lack some of their files on the live server too (e.g. refused uploads); copied as they are.`,
    );
  if (summary.skipped.length > 0)
    notes.push(`Left out of DATA_DIR (not the server's state): ${summary.skipped.join(', ')}.`);
  return notes;
}

function describe(s: BackupSummary, notes: string[]): string {
  const lines = [
    `Backed up ${s.dataDir} to ${s.dest} in ${(s.millis.total / 1000).toFixed(2)} s.`,
    `  database: ${s.images} images, ${mib(s.databaseBytes)}, integrity ok (${s.millis.database} ms)`,
    `  files:    ${s.filesLinked + s.filesCopied} (${s.filesLinked} hard-linked, ${s.filesCopied} copied), ` +
      `${mib(s.bytes)}, of which ${mib(s.bytesCopied)} newly written (${s.millis.files} ms)`,
    `  dropped:  ${s.imagesDropped} image(s) deleted from the live server during the backup`,
    `  also:     ${s.stateFiles.length > 0 ? s.stateFiles.join(', ') : 'no other files'}`,
    ...notes.map((note) => `Note: ${note}`),
    `Restore: DATA_DIR=${shellQuote(s.dest)} npm start`,
  ];
  return `${lines.join('\n')}\n`;
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

const shellQuote = (text: string) =>
  /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = EXIT.failed;
  },
);
