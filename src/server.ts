import pino from 'pino';
import type { AdminKeyOrigin } from './local/admin-key.ts';
import { loadConfig } from './local/config.ts';
import { LogDestination } from './local/log-destination.ts';
import { startLocal } from './local/start-local.ts';
import { configOrExplain, drainOnSignals, exitOnStartFailure } from './process-lifecycle.ts';

/** `npm start`: the embedded home on one machine. */
async function main(): Promise<void> {
  const config = configOrExplain(loadConfig);
  if (!config) process.exit(1);
  const log = new LogDestination();
  process.on('exit', () => log.flushBeforeExit());
  const logger = pino(
    { level: config.LOG_LEVEL, redact: ['req.headers["x-api-key"]', 'apiKey'] },
    log.stream,
  );
  const server = await startLocal(config, logger, { logHealth: () => log.report() });
  logger.info(
    { url: server.url, dataDir: config.DATA_DIR, workers: config.WORKERS },
    'serverless-image-api listening',
  );
  process.stderr.write(adminKeyNotice(server.adminKey));

  drainOnSignals(
    logger,
    () => server.close(),
    'draining: no new requests or jobs; finishing those in flight',
  );
}

/**
 * What the owner needs to know about the admin key, on the terminal and never through the
 * logger: a generated key is shown once (only its hash is kept); a start that shows none
 * says how to get one.
 */
function adminKeyNotice(origin: AdminKeyOrigin): string {
  if (origin.source === 'env') return '';
  if (origin.source === 'generated')
    return (
      `\nGenerated admin API key (shown once; only its hash is stored):\n\n  ${origin.apiKey}\n\n` +
      'Set API_KEY to choose your own.\n\n'
    );
  const since = new Date(origin.createdAt).toISOString();
  return (
    `Admin API key: the one generated at first start (${since}); only its hash is stored.\n` +
    'Lost it? Restart with API_KEY=<a secret of 16+ characters> to replace it.\n'
  );
}

main().catch(exitOnStartFailure);
