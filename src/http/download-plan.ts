import fresh from 'fresh';
import parseRange from 'range-parser';
import type { BlobInfo, ByteRange } from '../ports/blob-store.ts';

/** How to answer a GET of a stored file, before any of its bytes are opened. */
export type DownloadPlan =
  | { status: 200 }
  | { status: 206; range: ByteRange }
  | { status: 304 }
  | { status: 416 };

/**
 * Applies the request's conditional and Range headers to the file's validators, in the order
 * RFC 9110 §13.2.2 gives: If-None-Match / If-Modified-Since first, then If-Range and Range.
 */
export function planDownload(header: (name: string) => string | undefined, file: BlobInfo): DownloadPlan {
  const lastModified = file.lastModified.toUTCString();
  // Cache-Control stays out: fresh() treats `no-cache` as a reload and answers stale, but
  // fetch() adds `no-cache` to every request carrying a conditional header, and RFC 9110
  // has the origin evaluate conditions regardless of cache directives.
  const requested = {
    'if-none-match': header('if-none-match'),
    'if-modified-since': header('if-modified-since'),
  };
  if (fresh(requested, { etag: file.etag, 'last-modified': lastModified })) return { status: 304 };
  const range = header('range');
  if (range === undefined || !sameVersion(header('if-range'), file.etag, lastModified))
    return { status: 200 };
  return byteRange(range, file.size);
}

/**
 * If-Range (RFC 9110 §13.1.5): the client resumes only if it holds part of this version, so
 * an entity tag must match strongly and a date exactly; otherwise it gets the whole file.
 */
function sameVersion(ifRange: string | undefined, etag: string, lastModified: string): boolean {
  if (ifRange === undefined) return true;
  if (ifRange.startsWith('"') || ifRange.startsWith('W/')) return ifRange === etag && !etag.startsWith('W/');
  return Date.parse(ifRange) === Date.parse(lastModified);
}

function byteRange(header: string, size: number): DownloadPlan {
  const parsed = parseRange(size, header, { combine: true });
  // RFC 9110 §14.2 lets a server ignore a Range it cannot use: malformed, or another unit.
  if (parsed === -2 || (parsed !== -1 && parsed.type !== 'bytes')) return { status: 200 };
  // -1: nothing requested lies inside the file. An empty file has nothing to cut, so it goes
  // out whole rather than as an error.
  if (parsed === -1) return size === 0 ? { status: 200 } : { status: 416 };
  // One part only: multipart/byteranges costs a boundary format for a case image clients
  // (players, resumed downloads) do not use, and §14.2 allows answering the whole file.
  const [only] = parsed;
  if (parsed.length !== 1 || !only) return { status: 200 };
  return { status: 206, range: { start: only.start, end: only.end } };
}
