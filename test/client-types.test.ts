import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLIENT_TYPES_PATH, clientTypesSource } from '../scripts/generate-client-types.ts';

describe('src/client/openapi.ts (the typed client’s generated types)', () => {
  it('is what the current OpenAPI document generates', async () => {
    const fresh = await clientTypesSource();
    const checkedIn = readFileSync(CLIENT_TYPES_PATH, 'utf8');
    expect(
      checkedIn === fresh,
      'src/client/openapi.ts is out of date with the API: run npm run generate:client',
    ).toBe(true);
  });
});
