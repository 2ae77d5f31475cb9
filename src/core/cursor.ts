import { ValidationError } from './errors.ts';

export interface ListCursor {
  createdAt: number;
  imageId: string;
}

/** The list cursor is opaque to clients: base64url JSON of the last item's sort key. */
export function encodeCursor(cursor: ListCursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt, cursor.imageId])).toString('base64url');
}

export function decodeCursor(text: string): ListCursor {
  const invalid = () =>
    new ValidationError('lastEvaluatedKey: not a cursor returned by this API', 'INVALID_CURSOR');
  if (text.length > 200 || !/^[A-Za-z0-9_-]+$/.test(text)) throw invalid();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (
    !Array.isArray(value) ||
    value.length !== 2 ||
    !Number.isSafeInteger(value[0]) ||
    typeof value[1] !== 'string' ||
    value[1].length > 64
  ) {
    throw invalid();
  }
  return { createdAt: value[0] as number, imageId: value[1] as string };
}
