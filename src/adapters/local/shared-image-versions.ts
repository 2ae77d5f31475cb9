import type { ImageVersions } from '../../ports/image-versions.ts';

/** Slots for per-image counters; two images sharing one only costs extra reads. */
const SLOTS = 8192;
/** The slot every write also counts in, for readers of many images (list pages). */
const ANY = SLOTS;
/** Each slot is two Int32s: its version, and how many writes are under way in it. */
const VERSION = 0;
const WRITING = 1;

/**
 * Image versions in shared memory, so the worker threads that process images and the HTTP
 * thread that answers reads see the same counters with no messages between them. One
 * process per DATA_DIR (as documented) keeps this complete: every writer is in here.
 */
export class SharedImageVersions implements ImageVersions {
  private readonly counters: Int32Array;

  /** `buffer` from another thread's instance (`.buffer`), or none to allocate a new one. */
  constructor(buffer?: SharedArrayBuffer) {
    this.counters = new Int32Array(
      buffer ?? new SharedArrayBuffer((SLOTS + 1) * 2 * Int32Array.BYTES_PER_ELEMENT),
    );
  }

  /** Hand this to worker threads (it crosses threads by reference) to share the counters. */
  get buffer(): SharedArrayBuffer {
    return this.counters.buffer as SharedArrayBuffer;
  }

  write<T>(imageId: string, change: () => T): T {
    const slot = slotOf(imageId);
    this.begin(slot);
    this.begin(ANY);
    try {
      return change();
    } finally {
      this.end(slot);
      this.end(ANY);
    }
  }

  image(imageId: string): number | null {
    return this.read(slotOf(imageId));
  }

  any(): number | null {
    return this.read(ANY);
  }

  private begin(slot: number): void {
    Atomics.add(this.counters, slot * 2 + WRITING, 1);
    Atomics.add(this.counters, slot * 2 + VERSION, 1);
  }

  private end(slot: number): void {
    Atomics.add(this.counters, slot * 2 + VERSION, 1);
    Atomics.sub(this.counters, slot * 2 + WRITING, 1);
  }

  private read(slot: number): number | null {
    // Writing first: a write that starts after this check has not committed yet, and one
    // that ends before the version is read has moved it.
    if (Atomics.load(this.counters, slot * 2 + WRITING) !== 0) return null;
    return Atomics.load(this.counters, slot * 2 + VERSION);
  }
}

/** FNV-1a over the id's characters: cheap, and spreads UUIDs evenly. */
function slotOf(imageId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < imageId.length; i++) {
    hash ^= imageId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % SLOTS;
}
