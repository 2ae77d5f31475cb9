import { type Image, type ImageApiClient, ImageApiError, isFinished } from '../client/index.ts';
import { eachLimited } from '../core/each-limited.ts';
import { isRefusedKey } from './session.ts';
import type { Tile } from './tiles.ts';

/** First status poll a second after a change; then less often, up to every 10 s. */
const FIRST_POLL_MS = 1000;
const MAX_POLL_MS = 10_000;
/** After a 429 (the key's rate limit, shared with uploads): everything waits this long. */
const RATE_LIMITED_PAUSE_MS = 5000;
/** A record that could not be fetched (a blip, a restart) is asked for again after this. */
const RECORD_RETRY_MS = 3000;
/** Requests at once: a browser opens six connections per origin, uploads need some. */
const CONCURRENCY = 3;

export interface LiveEvents {
  /** A watched image reached completed or failed. */
  finished(tile: Tile, record: Image): void;
  /** The image is gone (deleted elsewhere). */
  gone(tile: Tile): void;
  /** The key stopped working (revoked, expired). */
  refused(error: ImageApiError): void;
}

interface Watch {
  dueAt: number;
  intervalMs: number;
}

/**
 * Keeps tiles current: fetches each tile's record once (placeholder, alt text), and polls
 * the status of unfinished images, each less often the longer it stays unfinished, until it
 * completes or fails; then fetches its record again for the thumbnails and analysis.
 * `clear()` (a new list) drops everything, including answers still on their way.
 */
export class LiveUpdates {
  private readonly records = new Map<Tile, number>();
  private readonly watched = new Map<Tile, Watch>();
  private timer: number | undefined;
  private running = false;
  private pausedUntil = 0;
  /** Bumped by clear(): answers to requests made before it are dropped. */
  private generation = 0;

  constructor(
    private readonly client: () => ImageApiClient | null,
    private readonly events: LiveEvents,
  ) {}

  /** Fetch the tile's record (now), and watch it if unfinished. */
  track(tile: Tile): void {
    this.records.set(tile, Date.now());
    this.schedule();
  }

  /** Poll the tile's status (it was just uploaded). */
  watch(tile: Tile): void {
    this.watched.set(tile, { dueAt: Date.now() + FIRST_POLL_MS, intervalMs: FIRST_POLL_MS });
    this.schedule();
  }

  forget(tile: Tile): void {
    this.records.delete(tile);
    this.watched.delete(tile);
  }

  clear(): void {
    this.generation += 1;
    this.records.clear();
    this.watched.clear();
  }

  private schedule(): void {
    if (this.running) return;
    const dues = [...this.records.values(), ...[...this.watched.values()].map((watch) => watch.dueAt)];
    if (dues.length === 0) return;
    const wait = Math.max(0, Math.min(...dues) - Date.now(), this.pausedUntil - Date.now());
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => void this.tick(), wait);
  }

  private async tick(): Promise<void> {
    const client = this.client();
    if (!client) return;
    this.running = true;
    const generation = this.generation;
    const now = Date.now();
    try {
      const records = [...this.records].filter(([, dueAt]) => dueAt <= now).map(([tile]) => tile);
      for (const tile of records) this.records.delete(tile);
      await eachLimited(records, CONCURRENCY, (tile) => this.fetchRecord(client, tile, generation));
      const polls = [...this.watched].filter(([, watch]) => watch.dueAt <= now).map(([tile]) => tile);
      await eachLimited(polls, CONCURRENCY, (tile) => this.poll(client, tile, generation));
    } finally {
      this.running = false;
    }
    this.schedule();
  }

  private async fetchRecord(client: ImageApiClient, tile: Tile, generation: number): Promise<void> {
    if (!tile.imageId) return;
    const record = await this.guard(tile, generation, () => client.get(tile.imageId as string));
    if (!record) return;
    tile.show(record);
    if (!isFinished(record.status) && !this.watched.has(tile)) this.watch(tile);
  }

  private async poll(client: ImageApiClient, tile: Tile, generation: number): Promise<void> {
    const watch = this.watched.get(tile);
    if (!tile.imageId || !watch || this.pausedUntil > Date.now()) return;
    const before = tile.status;
    const status = await this.guard(tile, generation, () => client.status(tile.imageId as string));
    if (!status) return;
    tile.showStatus(status);
    if (!isFinished(status.status)) {
      // Unchanged: ask less often. Moving: keep asking every second.
      watch.intervalMs =
        status.status === before ? Math.min(MAX_POLL_MS, watch.intervalMs * 1.5) : FIRST_POLL_MS;
      watch.dueAt = Date.now() + watch.intervalMs;
      return;
    }
    this.watched.delete(tile);
    const record = await this.guard(tile, generation, () => client.get(tile.imageId as string));
    if (!record) return;
    tile.show(record);
    this.events.finished(tile, record);
  }

  /**
   * Runs a call for a tile. An answer that ends its tracking (404, a refused key) is acted
   * on; anything else (a restart, a blip, a 429) is tried again later. Null when there is no
   * answer to use, or when a clear() came in between.
   */
  private async guard<T>(tile: Tile, generation: number, call: () => Promise<T>): Promise<T | null> {
    try {
      const answer = await call();
      return generation === this.generation ? answer : null;
    } catch (error) {
      if (generation !== this.generation) return null;
      if (error instanceof ImageApiError && error.status === 404) {
        this.forget(tile);
        this.events.gone(tile);
      } else if (isRefusedKey(error)) {
        this.clear();
        this.events.refused(error);
      } else {
        if (error instanceof ImageApiError && error.status === 429)
          this.pausedUntil = Date.now() + RATE_LIMITED_PAUSE_MS;
        const watch = this.watched.get(tile);
        if (watch) watch.dueAt = Date.now() + Math.max(watch.intervalMs, RECORD_RETRY_MS);
        else this.records.set(tile, Date.now() + RECORD_RETRY_MS);
      }
      return null;
    }
  }
}
