import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { ValidationError } from './errors.ts';

describe('Functions: encodeCursor / decodeCursor', () => {
  it('round-trips', () => {
    const cursor = { createdAt: 1_700_000_000_123, imageId: '3a4bb2e9-dcf7-4b00-8f19-0c30e054297d' };
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
  });

  it.each([
    '',
    '!!',
    'a'.repeat(500),
    Buffer.from('[1]').toString('base64url'),
    Buffer.from('["x","y"]').toString('base64url'),
    Buffer.from('not json').toString('base64url'),
  ])('rejects %j with INVALID_CURSOR naming lastEvaluatedKey', (text) => {
    expect(() => decodeCursor(text)).toThrow(ValidationError);
    expect(() => decodeCursor(text)).toThrow('lastEvaluatedKey');
  });
});
