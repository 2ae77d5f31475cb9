import { type Image, type ImageApiClient, ImageApiError, type ImageStatus } from '../client/index.ts';
import { isFinished, type Tile } from './tiles.ts';

const POLL_MS = 1000;
/** Requests at once: a browser opens six connections per origin, uploads need some. */
const CONCURRENCY = 3;

export interface LiveEvents {
  /** The tile's image reached completed or failed while watched. */
  finished(tile: Tile, record: Image): void;
  /** The image is gone (deleted elsewhere). */
  gone(tile: Tile): void;
  /** The key stopped working (revoked, expired). */
  refused(error: ImageApiError): void;
}

async function eachLimited<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
}

/**
 * Keeps tiles current: fetches each tile's record once (placeholder, alt text), and polls
 * the status of unfinished images every second until they complete or fail, then fetches
 * their record again for the thumbnails and analysis.
 */
export class LiveUpdates {
  private readonly needRecord = new Set<Tile>();
  private readonly watched = new Set<Tile>();
  private timer: number | undefined;
  private running = false;

  constructor(
    private readonly client: () => ImageApiClient | null,
    private readonly events: LiveEvents,
  ) {}

  /** Fetch the tile's record, and watch it if unfinished. */
  track(tile: Tile): void {
    this.needRecord.add(tile);
    this.soon(0);
  }

  /** Poll the tile's status (it was just uploaded). */
  watch(tile: Tile): void {
    this.watched.add(tile);
    this.soon(POLL_MS);
  }

  forget(tile: Tile): void {
    this.needRecord.delete(tile);
    this.watched.delete(tile);
  }

  clear(): void {
    this.needRecord.clear();
    this.watched.clear();
  }

  private soon(ms: number): void {
    if (this.running) return;
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    const client = this.client();
    if (!client) return;
    this.running = true;
    try {
      const records = [...this.needRecord];
      this.needRecord.clear();
      await eachLimited(records, (tile) => this.fetchRecord(client, tile));
      await eachLimited([...this.watched], (tile) => this.poll(client, tile));
    } finally {
      this.running = false;
    }
    if (this.needRecord.size > 0) this.soon(0);
    else if (this.watched.size > 0) this.soon(POLL_MS);
  }

  private async fetchRecord(client: ImageApiClient, tile: Tile): Promise<void> {
    if (!tile.imageId) return;
    const record = await this.guard(tile, () => client.get(tile.imageId as string));
    if (!record) return;
    tile.show(record);
    if (!isFinished(record.status)) this.watched.add(tile);
  }

  private async poll(client: ImageApiClient, tile: Tile): Promise<void> {
    if (!tile.imageId || !this.watched.has(tile)) return;
    const status: ImageStatus | null = await this.guard(tile, () => client.status(tile.imageId as string));
    if (!status) return;
    tile.showStatus(status);
    if (!isFinished(status.status)) return;
    this.watched.delete(tile);
    const record = await this.guard(tile, () => client.get(tile.imageId as string));
    if (!record) return;
    tile.show(record);
    this.events.finished(tile, record);
  }

  /** Runs a call for a tile; answers that end its tracking are handled here. */
  private async guard<T>(tile: Tile, call: () => Promise<T>): Promise<T | null> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof ImageApiError && error.status === 404) {
        this.forget(tile);
        this.events.gone(tile);
      } else if (error instanceof ImageApiError && (error.status === 401 || error.status === 403)) {
        this.clear();
        this.events.refused(error);
      } else {
        // The server restarting, a network blip, a 429: the next round tries again.
        this.watched.add(tile);
      }
      return null;
    }
  }
}
