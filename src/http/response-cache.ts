import type { Context, TypedResponse } from 'hono';
import { LRUCache } from 'lru-cache';
import type { ImageVersions } from '../ports/image-versions.ts';

/** JSON text serialised from a T; the brand carries T to the typed response. */
export type JsonText<T> = string & { readonly __json: T };

const JSON_HEADERS = { 'Content-Type': 'application/json' } as const;

/** Answers 200 with JSON that is already text, typed as c.json(value) would be. */
export function jsonText<T>(c: Context, text: JsonText<T>): Response & TypedResponse<T, 200, 'json'> {
  // The one cast: the text was made by JSON.stringify of a T (JsonText's only producer).
  return c.body(text as string, 200, JSON_HEADERS) as unknown as Response & TypedResponse<T, 200, 'json'>;
}

interface Entry {
  version: number;
  body: string;
}

/**
 * Serialised JSON bodies of image reads, each kept with the image version it was built
 * from and reused while that version has not moved. A read is otherwise a SQLite row,
 * JSON parsing, five signed URLs and JSON again; repeated reads of a dashboard or a CDN
 * revalidating are the common case. Keys must name everything else a body depends on
 * (tenant, query, the download URLs' expiry window).
 */
export class ResponseCache {
  private readonly entries: LRUCache<string, Entry> | null;

  /** `maxBytes` 0 or no versions (a home whose writers cannot report changes) caches nothing. */
  constructor(
    private readonly versions: ImageVersions | undefined,
    maxBytes: number,
  ) {
    this.entries =
      versions && maxBytes > 0
        ? new LRUCache<string, Entry>({
            // Characters, about bytes for this ASCII-heavy JSON; the key and entry overhead is small.
            maxSize: maxBytes,
            sizeCalculation: (entry, key) => entry.body.length + key.length + 64,
          })
        : null;
  }

  /** The body for one image, as of its current version. */
  image<T>(key: string, imageId: string, build: () => Promise<T>): Promise<JsonText<T>> {
    return this.body(key, () => this.versions?.image(imageId) ?? null, build);
  }

  /** A body drawn from many images (a list page): valid until any image changes. */
  anyImage<T>(key: string, build: () => Promise<T>): Promise<JsonText<T>> {
    return this.body(key, () => this.versions?.any() ?? null, build);
  }

  private async body<T>(
    key: string,
    version: () => number | null,
    build: () => Promise<T>,
  ): Promise<JsonText<T>> {
    // Read the version before the data: a change landing in between leaves an entry tagged
    // older than its content, which the next read simply rebuilds. Null: being written now.
    const seen = this.entries && version();
    if (!this.entries || seen === null) return JSON.stringify(await build()) as JsonText<T>;
    const cached = this.entries.get(key);
    if (cached?.version === seen) return cached.body as JsonText<T>;
    const body = JSON.stringify(await build()) as JsonText<T>;
    this.entries.set(key, { version: seen, body });
    return body;
  }
}
