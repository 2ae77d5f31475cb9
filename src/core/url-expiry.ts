/** Download URLs expire at the end of a window this long (seconds), see downloadExpiry. */
export const DOWNLOAD_URL_WINDOW_SECONDS = 300;

/**
 * Download URLs expire at the end of a 5-minute window rather than exactly TTL from now, so
 * repeated GETs hand out identical URLs and browsers and CDNs can cache the images.
 */
export function downloadExpiry(nowMs: number, ttlSeconds: number): number {
  const window = DOWNLOAD_URL_WINDOW_SECONDS;
  return Math.ceil((nowMs / 1000 + ttlSeconds) / window) * window;
}
