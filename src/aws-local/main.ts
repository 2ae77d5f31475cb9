import { pino } from 'pino';
import { configOrExplain, drainOnSignals, exitOnStartFailure } from '../process-lifecycle.ts';
import { loadAwsLocalConfig } from './config.ts';
import type { GatewayAdminKey } from './provision.ts';
import { startAwsLocal } from './start-aws-local.ts';

/** `npm run start:aws-local`: the AWS home on this machine, on moto_server. */
async function main(): Promise<void> {
  const config = configOrExplain(loadAwsLocalConfig);
  if (!config) process.exit(1);
  const logger = pino({ level: config.LOG_LEVEL, redact: ['apiKey'] });
  const home = await startAwsLocal(config, (line) => logger.error(line));
  logger.info(
    {
      url: home.url,
      awsEndpoint: home.endpoint,
      stack: config.STACK_NAME,
      analysisProvider: config.ANALYSIS_PROVIDER,
      workers: config.WORKERS,
    },
    'serverless-image-api (AWS home on loopback) listening',
  );
  process.stderr.write(adminKeyNotice(home.adminKey, Boolean(config.AWS_ENDPOINT_URL)));

  drainOnSignals(
    logger,
    () => home.close(),
    'draining: no new requests; letting the process function finish its batches',
  );
}

/** The owner's key, on the terminal and never through the logger, as `npm start` shows it. */
function adminKeyNotice(key: GatewayAdminKey, persistent: boolean): string {
  if (key.source === 'env') return '';
  return (
    `\nGenerated admin API key (an API Gateway key, id ${key.keyId}; shown once):\n\n  ${key.apiKey}\n\n` +
    (persistent
      ? 'Set API_KEY to choose your own.\n\n'
      : 'moto_server keeps everything in memory: the key and every image are gone when this stops.\n' +
        'Set API_KEY to choose your own, AWS_ENDPOINT_URL to use an emulator that outlives this process.\n\n')
  );
}

main().catch(exitOnStartFailure);
