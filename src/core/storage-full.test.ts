import { describe, expect, it } from 'vitest';
import { ProcessingError } from './errors.ts';
import { isStorageFull } from './storage-full.ts';

const withCode = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('isStorageFull', () => {
  it('recognises the filesystem, quota and SQLite full errors', () => {
    expect(isStorageFull(withCode('ENOSPC', 'ENOSPC: no space left on device, write'))).toBe(true);
    expect(isStorageFull(withCode('EDQUOT'))).toBe(true);
    expect(isStorageFull(withCode('SQLITE_FULL', 'database or disk is full'))).toBe(true);
  });

  it('recognises libvips and errors cloned across threads by their message alone', () => {
    expect(isStorageFull(new Error('VipsForeignSave: write failed: No space left on device'))).toBe(true);
    expect(isStorageFull(new Error('ENOSPC: no space left on device, write'))).toBe(true);
  });

  it('follows causes: our own errors wrap the one that explains them', () => {
    const wrapped = new ProcessingError('UNDECODABLE', 'could not decode', {
      retryable: false,
      cause: withCode('ENOSPC'),
    });
    expect(isStorageFull(wrapped)).toBe(true);
  });

  it('says no to anything else', () => {
    expect(isStorageFull(withCode('EACCES'))).toBe(false);
    expect(isStorageFull(new Error('Input file is missing'))).toBe(false);
    expect(isStorageFull('ENOSPC')).toBe(false);
    expect(isStorageFull(undefined)).toBe(false);
  });
});
