import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Context } from 'hono';
import { NotFoundError } from '../core/errors.ts';

/** One file a page may load: its type and where its bytes come from. */
export interface StaticFile {
  type: string;
  read: () => Promise<Uint8Array>;
}

interface Loaded {
  body: Uint8Array<ArrayBuffer>;
  type: string;
  etag: string;
}

/** A file in `dir`, read when first asked for. */
export const fileIn = (dir: string, name: string) => (): Promise<Uint8Array> => readFile(join(dir, name));

export const TYPES = {
  css: 'text/css; charset=utf-8',
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  json: 'application/json; charset=utf-8',
  svg: 'image/svg+xml',
} as const;

/**
 * The fixed set of files behind a page (the API reference, the gallery): only names in the
 * set can be asked for, so no path reaches anything else on disk. Each is read on first use
 * and kept in memory with a content ETag; browsers revalidate (no-cache) and get 304s.
 */
export class StaticAssets {
  private readonly loaded = new Map<string, Promise<Loaded>>();

  constructor(
    private readonly files: Record<string, StaticFile>,
    /** Names the 404 as this page's ("No such file in the API reference: …"). */
    private readonly owner: string,
  ) {}

  /** The file's answer: 200 with its bytes, 304 when the client's copy is current. */
  async respond(c: Context, name: string, extraHeaders: Record<string, string> = {}): Promise<Response> {
    const asset = await this.load(name);
    const headers = {
      ETag: asset.etag,
      'Cache-Control': 'no-cache',
      'X-Content-Type-Options': 'nosniff',
      ...extraHeaders,
    };
    if (c.req.header('if-none-match') === asset.etag) return c.body(null, 304, headers);
    return c.body(asset.body, 200, { ...headers, 'Content-Type': asset.type });
  }

  private load(name: string): Promise<Loaded> {
    const file = Object.hasOwn(this.files, name) ? this.files[name] : undefined;
    if (!file) throw new NotFoundError(`No such file in ${this.owner}: ${name}`);
    let asset = this.loaded.get(name);
    if (!asset) {
      asset = file.read().then((bytes) => {
        const body = new Uint8Array(bytes);
        const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
        return { body, type: file.type, etag };
      });
      // A failed read is not remembered: the next request tries again.
      asset.catch(() => this.loaded.delete(name));
      this.loaded.set(name, asset);
    }
    return asset;
  }
}

/**
 * A page's Content-Security-Policy: everything from this server only (no inline or eval'd
 * script, no form posting anywhere, no <base> rewriting), plus the API's own origin where it
 * differs from the page's (PUBLIC_URL), which the page calls and whose signed URLs it loads.
 * `inlineStyles`: Swagger UI injects <style> elements; the gallery does not.
 */
export function pageSecurityHeaders(
  apiUrl: string,
  extra: { img?: string; inlineStyles?: boolean } = {},
): Record<string, string> {
  const origin = safeOrigin(apiUrl);
  const api = origin ? ` ${origin}` : '';
  const img = `'self' data:${extra.img ? ` ${extra.img}` : ''}${api}`;
  const connect = `'self'${api}`;
  const style = extra.inlineStyles === false ? "'self'" : "'self' 'unsafe-inline'";
  return {
    'Content-Security-Policy': `default-src 'self'; img-src ${img}; style-src ${style}; connect-src ${connect}; form-action 'none'; base-uri 'none'; frame-ancestors 'none'`,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
  };
}

function safeOrigin(url: string): string | null {
  try {
    return url ? new URL(url).origin : null;
  } catch {
    return null;
  }
}
