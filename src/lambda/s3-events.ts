/** An object S3 reports created, with its key decoded. */
export interface CreatedObject {
  key: string;
  size: number;
}

/** What an SQS message body turned out to be, when S3 sent it. */
export type S3Notification =
  /** The handshake S3 sends when the bucket's notification is configured: it carries nothing. */
  | { kind: 'test-event' }
  | { kind: 'created'; objects: CreatedObject[] }
  /** Not an S3 notification (or not JSON at all): the caller tries its other formats. */
  | { kind: 'other' };

/**
 * Reads an S3 → SQS bucket notification. Keys arrive URL-encoded as in a query string
 * (`t1%2Fx%2Fincoming`, `+` for a space); a key that does not decode is left out, as is
 * every event other than ObjectCreated.
 */
export function parseS3Notification(body: string): S3Notification {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return { kind: 'other' };
  }
  if (!isRecord(value)) return { kind: 'other' };
  if (value.Event === 's3:TestEvent') return { kind: 'test-event' };
  if (!Array.isArray(value.Records)) return { kind: 'other' };
  const objects: CreatedObject[] = [];
  for (const record of value.Records) {
    if (!isRecord(record) || typeof record.eventName !== 'string') continue;
    if (!record.eventName.startsWith('ObjectCreated:')) continue;
    const object = isRecord(record.s3) && isRecord(record.s3.object) ? record.s3.object : null;
    const key = typeof object?.key === 'string' ? decodeS3Key(object.key) : null;
    if (key === null) continue;
    objects.push({ key, size: typeof object?.size === 'number' ? object.size : 0 });
  }
  return { kind: 'created', objects };
}

/** A key as S3 events encode it, decoded; null if it is not valid percent-encoding. */
export function decodeS3Key(encoded: string): string | null {
  try {
    return decodeURIComponent(encoded.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}

/** The image a key written by a signed upload URL belongs to (`{tenant}/{imageId}/incoming`), or null. */
export function incomingUpload(key: string): { tenant: string; imageId: string } | null {
  const match = /^([^/]+)\/([^/]+)\/incoming$/.exec(key);
  if (
    !match?.[1] ||
    !match[2] ||
    match[1] === '.' ||
    match[1] === '..' ||
    match[2] === '.' ||
    match[2] === '..'
  )
    return null;
  return { tenant: match[1], imageId: match[2] };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
