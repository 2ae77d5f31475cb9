import { randomUUID } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ReadinessCheck } from '../http/routes/ops.ts';
import type { StorageReport } from '../ports/storage-gauge.ts';

export interface LocalReadinessDeps {
  /** Throws unless the database answers a query. */
  pingDatabase: () => void;
  dataDir: string;
  storage: () => StorageReport;
}

/**
 * /ready for the embedded home: the database answers, DATA_DIR takes a write, free disk is
 * at least MIN_FREE_DISK_MB, and the server is not draining. Liveness (/health) stays 200
 * through all of these: a load balancer should stop sending traffic, not restart the server.
 */
export class LocalReadiness {
  private draining = false;

  constructor(private readonly deps: LocalReadinessDeps) {}

  /** From SIGTERM on: answers on connections still open say "not ready". */
  drain(): void {
    this.draining = true;
  }

  readonly check = async (): Promise<Record<string, ReadinessCheck>> => {
    const checks: Record<string, ReadinessCheck> = {
      database: this.database(),
      dataDir: await this.dataDirWritable(),
      disk: this.disk(),
    };
    if (this.draining) checks.shutdown = { status: 'draining' };
    return checks;
  };

  private database(): ReadinessCheck {
    try {
      this.deps.pingDatabase();
      return { status: 'ok' };
    } catch (error) {
      return { status: 'failing', error: errorText(error) };
    }
  }

  /** An empty file, created and removed: proves the folder takes writes (not full of inodes, not read-only). */
  private async dataDirWritable(): Promise<ReadinessCheck> {
    // In the blob store's temp folder, which the backup never copies and a start clears.
    const probe = join(this.deps.dataDir, 'files', '.tmp', `.ready-${randomUUID()}`);
    try {
      await writeFile(probe, '', { flag: 'wx' });
      await rm(probe, { force: true });
      return { status: 'ok' };
    } catch (error) {
      return { status: 'failing', error: errorText(error) };
    }
  }

  /**
   * Free space against MIN_FREE_DISK_MB, not counting room held for queued images: that
   * only refuses uploads (507), while reads and processing go on, which a load balancer
   * should not stop.
   */
  private disk(): ReadinessCheck {
    const { status, freeMb, minFreeMb } = this.deps.storage();
    if (status === 'full') return { status: 'full', freeMb, minFreeMb };
    return { status: freeMb >= 0 && freeMb < minFreeMb ? 'low' : 'ok', freeMb, minFreeMb };
  }
}

/**
 * The error's code where it has one (ENOENT, EROFS, SQLITE_CORRUPT), else its message:
 * /ready answers anyone, and a file system error's message names paths on the server.
 */
function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return (error as NodeJS.ErrnoException).code ?? error.message;
}
