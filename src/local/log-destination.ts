import sonicBoom from 'sonic-boom';

// A CommonJS module: Node's ESM loader finds no named exports in it, only the default.
const { SonicBoom } = sonicBoom as unknown as typeof import('sonic-boom');
type SonicBoom = InstanceType<typeof SonicBoom>;

import type { HealthCheck } from '../http/app.ts';

/** Lines held while the output cannot take them (a full disk, a stalled pipe); past this, new ones are dropped. */
const MAX_BUFFERED_BYTES = 4 * 2 ** 20;

/**
 * Where the server's log lines go (stdout): written asynchronously, so a log that cannot be
 * written never blocks the event loop. With stdout redirected to a file on a full disk
 * (`npm start > app.log`), lines wait in a bounded buffer and are retried with the next
 * line; once the buffer is full, new lines are dropped and counted (/health reports both).
 * sonic-boom is pino's own writer; version 5 throws from flushSync on a write error
 * instead of retrying forever, which froze the server on a full disk.
 */
export class LogDestination {
  readonly stream: SonicBoom;
  private droppedLines = 0;
  private failedWrites = 0;
  private lastError: string | null = null;

  constructor(fd = 1) {
    this.stream = new SonicBoom({ fd, sync: false, maxLength: MAX_BUFFERED_BYTES });
    this.stream.on('drop', () => {
      this.droppedLines++;
    });
    // Kept buffered and tried again with the next line; without a listener this would throw.
    this.stream.on('error', (error: NodeJS.ErrnoException) => {
      this.failedWrites++;
      this.lastError = error.code ?? error.message;
    });
    this.stream.on('write', () => {
      this.lastError = null;
    });
  }

  /** For /health: dropping while writes fail; how many lines were lost since start. */
  report(): HealthCheck {
    return {
      status: this.lastError ? 'failing' : 'ok',
      droppedLines: this.droppedLines,
      failedWrites: this.failedWrites,
      ...(this.lastError ? { error: this.lastError } : {}),
    };
  }

  /** At exit: what is buffered, if it can be written now; never waits on a full disk. */
  flushBeforeExit(): void {
    try {
      this.stream.flushSync();
    } catch {
      // Lost with the process: the disk is full or the output gone.
    }
  }
}
