import { mkdtempSync, rmSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InsufficientStorageError } from '../../core/errors.ts';
import { DiskSpace } from './disk-space.ts';

const MB = 2 ** 20;

describe('DiskSpace', () => {
  const dir = mkdtempSync(join(tmpdir(), 'disk-space-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A gauge whose minimum leaves exactly `headroom` bytes above it on this filesystem now. */
  async function gaugeWithHeadroom(headroom: number) {
    const fs = await statfs(dir);
    const free = fs.bavail * fs.bsize;
    const disk = new DiskSpace(dir, free - headroom);
    await disk.refresh();
    return disk;
  }

  it('refuses room past the minimum with 507, and counts what is reserved for processing', async () => {
    // Margins of hundreds of MB: other programs write to this disk while the test runs.
    const disk = await gaugeWithHeadroom(1024 * MB);
    expect(() => disk.assertRoomFor(16 * MB)).not.toThrow();
    disk.reserve('a', 900 * MB);
    expect(() => disk.assertRoomFor(400 * MB)).toThrow(InsufficientStorageError);
    expect(disk.report()).toMatchObject({ reservedMb: 900 });
    disk.release('a');
    expect(() => disk.assertRoomFor(400 * MB)).not.toThrow();
  });

  it('is full from a reported failure until space is freed, and says so', async () => {
    let recovered = 0;
    const disk = new DiskSpace(dir, 0, () => recovered++);
    await disk.refresh();
    disk.reportFull();
    expect(disk.isFull).toBe(true);
    expect(() => disk.assertRoomFor(0)).toThrow(/nearly full/);
    expect(disk.report().status).toBe('full');
    // A minimum of 0 is recovered as soon as anything is free, which this disk has.
    await disk.refresh();
    expect([disk.isFull, recovered]).toEqual([false, 1]);
  });
});
