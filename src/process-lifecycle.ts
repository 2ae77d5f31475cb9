import type { Logger } from 'pino';
import { ConfigError } from './core/config.ts';

/**
 * The entry points' configuration, or null after printing why it is invalid (each exits
 * with its own code). Anything but a ConfigError is a bug and propagates.
 */
export function configOrExplain<T>(load: (env: NodeJS.ProcessEnv) => T): T | null {
  try {
    return load(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`Configuration error:\n${error.message}\n`);
    return null;
  }
}

/**
 * What both entry points (`npm start`, `npm run start:aws-local`) do with signals: the first
 * SIGTERM or SIGINT drains (`close`), a second one exits at once.
 */
export function drainOnSignals(logger: Logger, close: () => Promise<void>, draining: string): void {
  let signals = 0;
  const shutdown = (signal: string) => {
    if (++signals > 1) process.exit(1);
    logger.info({ signal }, draining);
    close().then(
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

/** A start that failed: one line a person can act on for a busy port, the stack otherwise. */
export function exitOnStartFailure(error: unknown): never {
  const { code, address, port } = error as NodeJS.ErrnoException & { address?: string; port?: number };
  if (code === 'EADDRINUSE') {
    process.stderr.write(`Port ${port} on ${address} is already in use: stop what uses it or set PORT.\n`);
  } else {
    process.stderr.write(`Failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  }
  process.exit(1);
}
