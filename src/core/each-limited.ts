/**
 * Runs `work` on every item, at most `limit` at a time, in order of starting: the gallery's
 * uploads and status polls, the CLI's uploads, the backup's image folders.
 */
export async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
