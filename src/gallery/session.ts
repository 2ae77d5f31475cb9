import { createImageApiClient, type ImageApiClient, ImageApiError } from '../client/index.ts';

const STORAGE_KEY = 'imgapi.apiKey';

/**
 * The API key, kept in this browser's localStorage for this origin only: the page sends it
 * as x-api-key and nowhere else (never in a URL, a cookie or the signed upload).
 */
export function storedKey(): string | null {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    // Storage disabled (private mode, policy): the key lives as long as the page.
    return null;
  }
}

export function storeKey(key: string): void {
  try {
    localStorage.setItem(STORAGE_KEY, key);
  } catch {}
}

export function forgetKey(): void {
  try {
    localStorage.removeItem(STORAGE_KEY);
  } catch {}
}

/**
 * The API is the server that served this page, at the page's own path: behind a proxy that
 * adds a prefix (/images-api/), calls keep it.
 */
function apiBaseUrl(): string {
  return new URL('.', document.baseURI).href;
}

export function clientFor(apiKey: string): ImageApiClient {
  return createImageApiClient({ baseUrl: apiBaseUrl(), apiKey });
}

/** The server refused the key (unknown, revoked): the session ends, whatever was asked. */
export function isRefusedKey(error: unknown): error is ImageApiError {
  return error instanceof ImageApiError && (error.status === 401 || error.status === 403);
}
