import type { DiagLogger } from '@opentelemetry/api';
import type { Logger } from 'pino';

const QUIET_MS = 60_000;

/**
 * The SDK's own complaints (a collector that is down or refuses spans) as pino lines: the
 * first at `warn`, then at most one a minute, the rest at `debug`. A dead collector fails
 * every export, every few seconds; that must not flood the log, and never fails a request.
 */
export function sdkLogger(logger: Logger): DiagLogger {
  let lastWarned = Number.NEGATIVE_INFINITY;
  let suppressed = 0;
  const warn = (message: string, ...args: unknown[]) => {
    const now = Date.now();
    const detail = args.length > 0 ? { detail: args.map(describe) } : {};
    const text = `tracing: ${readable(message)}`;
    if (now - lastWarned < QUIET_MS) {
      suppressed++;
      logger.debug(detail, text);
      return;
    }
    logger.warn({ ...detail, ...(suppressed > 0 ? { suppressed } : {}) }, text);
    lastWarned = now;
    suppressed = 0;
  };
  const debug = (message: string, ...args: unknown[]) =>
    logger.debug({ detail: args.map(describe) }, `tracing: ${message}`);
  return { error: warn, warn, info: debug, debug, verbose: debug };
}

/** An Error logs as `{}` once nested; its message is what says why. */
function describe(value: unknown): unknown {
  return value instanceof Error ? value.message : value;
}

/** The SDK's error handler passes errors on as JSON (`{"stack", "message", …}`): keep the message. */
function readable(message: string): string {
  if (!message.startsWith('{')) return message;
  try {
    const parsed = JSON.parse(message) as { message?: unknown };
    return typeof parsed.message === 'string' ? parsed.message : message;
  } catch {
    return message;
  }
}
