import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { setImmediate as tick } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { BlobStore } from '../../src/ports/blob-store.ts';
import { fixture } from '../helpers/images.ts';

export interface BlobStoreContractOptions {
  /** A fresh, empty store for each test. */
  makeStore: () => Promise<BlobStore>;
  /** Objects written under one prefix before deletePrefix; above 1,000 makes S3 list in pages. */
  manyObjects: number;
  /** True when localPath hands out a temporary copy, which release must delete. */
  localPathIsCopy: boolean;
}

const PHOTO = fixture('chelsea.jpg');
/** 1,000 bytes that differ from their neighbours, so a range off by one shows. */
const PATTERN = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));

/** A stream that hands out its bytes in chunks over several event-loop turns. */
function streamOf(bytes: Buffer, chunkSize = 16 * 1024): Readable {
  return Readable.from(
    (async function* () {
      for (let i = 0; i < bytes.length; i += chunkSize) {
        await tick();
        yield bytes.subarray(i, i + chunkSize);
      }
    })(),
  );
}

/** A stream that fails after its first chunk, like a client hanging up mid-upload. */
function failingStream(): Readable {
  return Readable.from(
    (async function* () {
      yield PATTERN.subarray(0, 100);
      await tick();
      throw new Error('client went away');
    })(),
  );
}

async function readBytes(store: BlobStore, key: string): Promise<Buffer | null> {
  const blob = await store.read(key);
  return blob ? buffer(blob.body) : null;
}

async function inBatches<T>(items: T[], size: number, run: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(run));
}

/** Registers what the core relies on from a BlobStore; call it inside the adapter's describe. */
export function blobStoreContract(options: BlobStoreContractOptions): void {
  const { makeStore } = options;

  describe('Method: write', () => {
    it('stores a Buffer that read returns byte for byte', async () => {
      const store = await makeStore();
      await store.write('t1/img1/original', PHOTO);
      expect((await readBytes(store, 't1/img1/original'))?.equals(PHOTO)).toBe(true);
    });

    it('stores a stream that arrives in chunks byte for byte', async () => {
      const store = await makeStore();
      const info = await store.write('t1/img1/original', streamOf(PHOTO));
      expect(info.size).toBe(PHOTO.length);
      expect((await readBytes(store, 't1/img1/original'))?.equals(PHOTO)).toBe(true);
    });

    it('returns the size, ETag and date that stat then reports', async () => {
      const store = await makeStore();
      const before = Date.now();
      const info = await store.write('t1/img1/thumb-small.jpg', PHOTO);
      expect(info.size).toBe(PHOTO.length);
      expect(info.etag).toMatch(/^(W\/)?".+"$/);
      expect(info.lastModified).toBeInstanceOf(Date);
      // S3 dates to the second; a minute either side still catches a zero or garbage date.
      expect(Math.abs(info.lastModified.getTime() - before)).toBeLessThan(60_000);
      expect(await store.stat('t1/img1/thumb-small.jpg')).toEqual(info);
    });

    it('gives new content a new ETag', async () => {
      const store = await makeStore();
      // Different lengths: the fs ETag is size and mtime, and two writes may share a millisecond.
      const first = await store.write('t1/img1/full.webp', PATTERN);
      const second = await store.write('t1/img1/full.webp', PATTERN.subarray(0, 999));
      expect(second.etag).not.toBe(first.etag);
      expect((await store.stat('t1/img1/full.webp'))?.etag).toBe(second.etag);
    });

    it('replaces the whole object: a shorter second write leaves nothing of the first', async () => {
      const store = await makeStore();
      await store.write('t1/img1/original', PHOTO);
      await store.write('t1/img1/original', PATTERN.subarray(0, 10));
      expect(await readBytes(store, 't1/img1/original')).toEqual(PATTERN.subarray(0, 10));
      expect((await store.stat('t1/img1/original'))?.size).toBe(10);
    });

    it('keeps the previous object when the stream of a new one fails', async () => {
      const store = await makeStore();
      await store.write('t1/img1/original', PHOTO);
      await expect(store.write('t1/img1/original', failingStream())).rejects.toThrow('client went away');
      expect((await readBytes(store, 't1/img1/original'))?.equals(PHOTO)).toBe(true);
    });

    it('leaves no object behind when the stream of a first write fails', async () => {
      const store = await makeStore();
      await expect(store.write('t1/img1/original', failingStream())).rejects.toThrow('client went away');
      expect(await store.stat('t1/img1/original')).toBeNull();
    });

    it('never lets a reader see a mix of two versions written meanwhile', async () => {
      const store = await makeStore();
      const a = Buffer.alloc(256 * 1024, 0xaa);
      const b = Buffer.alloc(128 * 1024, 0xbb);
      await store.write('t1/img1/original', a);
      const writer = (async () => {
        for (let i = 0; i < 10; i++) await store.write('t1/img1/original', i % 2 ? a : b);
      })();
      const seen: string[] = [];
      for (let i = 0; i < 10; i++) {
        const blob = await store.read('t1/img1/original');
        const bytes = blob ? await buffer(blob.body) : Buffer.alloc(0);
        seen.push(bytes.equals(a) ? 'a' : bytes.equals(b) ? 'b' : `mix of ${bytes.length} bytes`);
        // The info describes the version actually read.
        expect(blob?.size).toBe(bytes.length);
      }
      await writer;
      expect(seen.filter((s) => s !== 'a' && s !== 'b')).toEqual([]);
    });
  });

  describe('Method: read', () => {
    it('describes the object it opened as stat does', async () => {
      const store = await makeStore();
      await store.write('t1/img1/original', PHOTO);
      const blob = await store.read('t1/img1/original');
      blob?.body.destroy();
      const { body: _body, ...info } = blob ?? { body: null };
      expect(info).toEqual(await store.stat('t1/img1/original'));
    });

    it.each([
      { bytes: '10-19', start: 10, end: 19 },
      { bytes: '0-0', start: 0, end: 0 },
      { bytes: '999-999', start: 999, end: 999 },
      { bytes: '0-999', start: 0, end: 999 },
    ])('returns exactly bytes $bytes of a range, with the whole object size', async ({ start, end }) => {
      const range = { start, end };
      const store = await makeStore();
      await store.write('t1/img1/original', PATTERN);
      const blob = await store.read('t1/img1/original', range);
      expect(blob?.size).toBe(PATTERN.length);
      expect(blob && (await buffer(blob.body))).toEqual(PATTERN.subarray(range.start, range.end + 1));
    });

    it('returns null for a key that was never written, with or without a range', async () => {
      const store = await makeStore();
      await store.write('t1/img1/original', PATTERN);
      expect(await store.read('t1/img1/thumb-small.jpg')).toBeNull();
      expect(await store.read('t1/img2/original', { start: 0, end: 9 })).toBeNull();
    });
  });

  describe('Method: stat', () => {
    it('returns null for a missing key and for a prefix that only holds objects', async () => {
      const store = await makeStore();
      await store.write('t1/img1/original', PATTERN);
      expect(await store.stat('t1/img2/original')).toBeNull();
      expect(await store.stat('t1/img1')).toBeNull();
    });
  });

  describe('Method: localPath', () => {
    it('gives a file holding the object; release leaves the object in the store', async () => {
      const store = await makeStore();
      await store.write('t1/img1/original', PHOTO);
      const { path, release } = await store.localPath('t1/img1/original');
      expect((await readFile(path)).equals(PHOTO)).toBe(true);
      await release();
      await release();
      expect(existsSync(path)).toBe(!options.localPathIsCopy);
      expect((await readBytes(store, 't1/img1/original'))?.equals(PHOTO)).toBe(true);
    });

    it('gives nothing readable for a missing key (ENOENT)', async () => {
      const store = await makeStore();
      // fs hands out the path and opening it fails; a downloading store fails at once.
      const opened = store.localPath('t1/img1/original').then(({ path }) => readFile(path));
      await expect(opened).rejects.toMatchObject({ code: 'ENOENT' });
    });
  });

  describe('Method: move', () => {
    it('moves an object to another key whole, replacing what was there', async () => {
      const store = await makeStore();
      await store.write('t1/img1/incoming', PHOTO);
      await store.write('t1/img1/original', Buffer.from('older'));
      const info = await store.move('t1/img1/incoming', 't1/img1/original');
      expect(info?.size).toBe(PHOTO.length);
      expect((await readBytes(store, 't1/img1/original'))?.equals(PHOTO)).toBe(true);
      expect(await store.stat('t1/img1/incoming')).toBeNull();
    });

    it('answers null for a key that does not exist, and changes nothing', async () => {
      const store = await makeStore();
      await store.write('t1/img1/original', PHOTO);
      expect(await store.move('t1/img1/incoming', 't1/img1/original')).toBeNull();
      expect((await readBytes(store, 't1/img1/original'))?.equals(PHOTO)).toBe(true);
    });
  });

  describe('Method: deletePrefix', () => {
    it('removes every object under the prefix and nothing under a longer or sibling one', async () => {
      const store = await makeStore();
      const gone = ['t1/img1/original', 't1/img1/thumb-small.jpg', 't1/img1/full.webp'];
      const kept = ['t1/img10/original', 't1/img2/original', 't2/img1/original'];
      for (const key of [...gone, ...kept]) await store.write(key, Buffer.from(key));
      await store.deletePrefix('t1/img1/');
      for (const key of gone) expect(await store.stat(key), key).toBeNull();
      for (const key of kept) expect((await readBytes(store, key))?.toString(), key).toBe(key);
    });

    it(`removes all of ${options.manyObjects} objects under one prefix`, { timeout: 180_000 }, async () => {
      const store = await makeStore();
      const keys = Array.from(
        { length: options.manyObjects },
        (_, i) => `t1/img1/v${String(i).padStart(5, '0')}`,
      );
      await inBatches(keys, 16, (key) => store.write(key, Buffer.from(key)));
      await store.write('t1/img10/original', PATTERN);
      await store.deletePrefix('t1/img1/');
      const left: string[] = [];
      await inBatches(keys, 16, async (key) => {
        if (await store.stat(key)) left.push(key);
      });
      expect(left).toEqual([]);
      expect((await store.stat('t1/img10/original'))?.size).toBe(PATTERN.length);
    });

    it('is not an error when nothing is under the prefix, nor the second time', async () => {
      const store = await makeStore();
      await expect(store.deletePrefix('t1/img1/')).resolves.toBeUndefined();
      await store.write('t1/img1/original', PATTERN);
      await store.deletePrefix('t1/img1/');
      await expect(store.deletePrefix('t1/img1/')).resolves.toBeUndefined();
      expect(await store.stat('t1/img1/original')).toBeNull();
    });
  });
}
