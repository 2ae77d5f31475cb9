import { statfs } from 'node:fs/promises';
import { InsufficientStorageError } from '../../core/errors.ts';
import type { StorageGauge, StorageReport } from '../../ports/storage-gauge.ts';

const MB = 2 ** 20;
/**
 * A full disk counts as recovered once this much more is free than when a write failed (or
 * the minimum is free): processing resumes then, while uploads wait for the minimum.
 */
const RECOVERED_BYTES = 8 * MB;

/**
 * DATA_DIR's filesystem, read with statfs(2) once a second (a syscall: cheap) and whenever
 * a write failed for lack of space. Space counts as free if an unprivileged process may use
 * it (f_bavail), as the server is one.
 */
export class DiskSpace implements StorageGauge {
  private freeBytes = Number.POSITIVE_INFINITY;
  private full = false;
  private freeWhenFull = 0;
  private readonly reserved = new Map<string, number>();
  private reservedBytes = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly dir: string,
    private readonly minFreeBytes: number,
    /** Called when a full disk has space again: whoever paused for it can resume. */
    private readonly onRecovered: () => void = () => {},
  ) {}

  async start(intervalMs = 1000): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh().catch(() => {}), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async refresh(): Promise<void> {
    const fs = await statfs(this.dir);
    this.freeBytes = fs.bavail * fs.bsize;
    const recovered = Math.min(this.minFreeBytes, this.freeWhenFull + RECOVERED_BYTES);
    if (this.full && this.freeBytes >= recovered) {
      this.full = false;
      this.onRecovered();
    }
  }

  /** Whether processing should wait: a write failed for lack of space and space has not returned. */
  get isFull(): boolean {
    return this.full;
  }

  assertRoomFor(bytes: number): void {
    if (!this.full && this.freeBytes - this.reservedBytes - bytes >= this.minFreeBytes) return;
    const free = Math.max(0, Math.floor(this.freeBytes / MB));
    const held = Math.ceil(this.reservedBytes / MB);
    throw new InsufficientStorageError(
      `The server's disk is nearly full (${free} MB free, ${held} MB of it held for images being processed, MIN_FREE_DISK_MB=${this.minFreeBytes / MB}${bytes > 0 ? `, this upload is ${Math.ceil(bytes / MB)} MB` : ''}): uploads are refused until space is freed`,
    );
  }

  reserve(imageId: string, bytes: number): void {
    this.release(imageId);
    this.reserved.set(imageId, bytes);
    this.reservedBytes += bytes;
  }

  /**
   * Replaces every hold with these (what the database says is still to be processed): holds
   * whose release was missed (an image swept or dead-lettered without a job ending) go.
   */
  holdExactly(holds: Iterable<{ imageId: string; bytes: number }>): void {
    this.reserved.clear();
    this.reservedBytes = 0;
    for (const { imageId, bytes } of holds) this.reserve(imageId, bytes);
  }

  release(imageId: string): void {
    this.reservedBytes -= this.reserved.get(imageId) ?? 0;
    this.reserved.delete(imageId);
  }

  reportFull(): void {
    if (this.full) return;
    this.full = true;
    // What is free now that a write failed (a fresh reading: the last one can be a second
    // old, from before the disk filled): space freed after this counts towards recovery.
    this.freeWhenFull = Math.min(this.freeBytes, this.minFreeBytes);
    void statfs(this.dir)
      .then((fs) => {
        this.freeWhenFull = Math.min(fs.bavail * fs.bsize, this.minFreeBytes);
      })
      .catch(() => {});
  }

  report(): StorageReport {
    const freeMb = Number.isFinite(this.freeBytes) ? Math.floor(this.freeBytes / MB) : -1;
    const minFreeMb = this.minFreeBytes / MB;
    const status = this.full
      ? 'full'
      : this.freeBytes - this.reservedBytes < this.minFreeBytes
        ? 'low'
        : 'ok';
    return { status, freeMb, minFreeMb, reservedMb: Math.ceil(this.reservedBytes / MB) };
  }
}
