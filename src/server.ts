import pino from 'pino';
import { ConfigError, loadConfig } from './core/config.ts';
import { startLocal } from './local/start-local.ts';

/** `npm start`: the embedded home on one machine. */
async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`Configuration error:\n${error.message}\n`);
    process.exit(1);
  }
  const logger = pino({ level: config.LOG_LEVEL, redact: ['req.headers["x-api-key"]', 'apiKey'] });
  const server = await startLocal(config, logger);
  logger.info(
    { url: server.url, dataDir: config.DATA_DIR, workers: config.WORKERS },
    'serverless-image-api listening',
  );
  if (server.generatedApiKey) {
    // Shown once, on the terminal, never through the logger: only its hash is kept.
    process.stderr.write(
      `\nGenerated admin API key (shown once; only its hash is stored):\n\n  ${server.generatedApiKey}\n\n` +
        'Set API_KEY to choose your own.\n\n',
    );
  }

  let signals = 0;
  const shutdown = (signal: string) => {
    if (++signals > 1) process.exit(1);
    logger.info({ signal }, 'draining: no new requests or jobs; finishing those in flight');
    server.close().then(
      () => {
        logger.info('stopped cleanly');
        process.exit(0);
      },
      (err) => {
        logger.error({ err }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error) => {
  process.stderr.write(`Failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
