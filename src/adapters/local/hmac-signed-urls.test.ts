import { describe, expect, it } from 'vitest';
import { downloadExpiry } from '../../core/url-expiry.ts';
import { HmacSignedUrls } from './hmac-signed-urls.ts';

describe('Class: HmacSignedUrls', () => {
  const signer = new HmacSignedUrls(Buffer.from('k'.repeat(32)), () => 'http://h');
  const parse = (url: string) => {
    const u = new URL(url);
    return { path: u.pathname, query: Object.fromEntries(u.searchParams) };
  };

  it('verifies its own URL until it expires', () => {
    const { path, query } = parse(signer.uploadUrl('id-1', 2000));
    expect(signer.verify('PUT', path, query, 1_999_000)).toBe('valid');
    expect(signer.verify('PUT', path, query, 2_000_001)).toBe('expired');
  });

  it('rejects another method, path, expiry, key or a missing signature', () => {
    const { path, query } = parse(signer.uploadUrl('id-1', 2000));
    expect(signer.verify('GET', path, query, 0)).toBe('invalid');
    expect(signer.verify('PUT', '/uploads/id-2', query, 0)).toBe('invalid');
    expect(signer.verify('PUT', path, { ...query, expires: '2001' }, 0)).toBe('invalid');
    expect(signer.verify('PUT', path, { expires: query.expires }, 0)).toBe('invalid');
    const other = new HmacSignedUrls(Buffer.from('j'.repeat(32)), () => 'http://h');
    expect(other.verify('PUT', path, query, 0)).toBe('invalid');
  });

  it('checks a forged signature of any length without throwing', () => {
    for (const signature of ['', 'a', '!!!', 'x'.repeat(1000)]) {
      expect(signer.verify('PUT', '/uploads/id-1', { expires: '2000', signature }, 0)).toBe('invalid');
    }
  });
});

describe('Function: downloadExpiry', () => {
  it('rounds up to a 5-minute window so repeated requests share one URL', () => {
    expect(downloadExpiry(1_000_000, 3600)).toBe(downloadExpiry(1_000_000 + 60_000, 3600));
    expect(downloadExpiry(1_000_000, 3600)).toBeGreaterThanOrEqual(1000 + 3600);
    expect(downloadExpiry(1_000_000, 3600) % 300).toBe(0);
  });
});
