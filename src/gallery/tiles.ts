import { thumbHashToDataURL } from 'thumbhash';
import { type Image, type ImageStatus, type ImageSummary, isFinished } from '../client/index.ts';
import { h } from './dom.ts';
import { listOf } from './format.ts';

const STATUS_TEXT: Record<ImageSummary['status'], string> = {
  pending: 'Waiting for the file',
  uploaded: 'Queued',
  processing: 'Processing',
  completed: 'Completed',
  failed: 'Failed',
};

/** What the picture shows, for alt text: its labels, faces and text, once analysed. */
export function describeImage(image: Image): string {
  const analysis = image.analysis;
  if (!analysis) return image.fileName;
  const parts: string[] = [];
  if (analysis.labels.length > 0) parts.push(listOf(analysis.labels.slice(0, 5)));
  if (analysis.faces > 0) parts.push(analysis.faces === 1 ? 'one face' : `${analysis.faces} faces`);
  if (analysis.text.length > 0) parts.push(`text “${analysis.text.map((line) => line.text).join(' ')}”`);
  return parts.length > 0 ? `${image.fileName}: ${parts.join('; ')}` : image.fileName;
}

function placeholderUrl(thumbhash: string): string | null {
  try {
    return thumbHashToDataURL(Uint8Array.from(atob(thumbhash), (c) => c.charCodeAt(0)));
  } catch {
    return null;
  }
}

export interface TileHandlers {
  open(tile: Tile): void;
  /** Its thumbnail failed to load (an expired URL): fetch the record again. */
  stale(tile: Tile): void;
}

const STALE_RETRY_MS = 30_000;

/**
 * One image in the grid: a button that opens its details, showing the thumbnail over its
 * placeholder (dominant colour, then the ThumbHash), its name and status, and a progress
 * bar while it is being uploaded or processed.
 */
export class Tile {
  readonly element: HTMLLIElement;
  imageId: string | null;
  fileName: string;
  status: ImageSummary['status'] | 'uploading' | 'error' = 'pending';
  private readonly button: HTMLButtonElement;
  private readonly frame: HTMLSpanElement;
  private readonly img: HTMLImageElement;
  private readonly statusLine: HTMLSpanElement;
  private readonly bar: HTMLProgressElement;
  private placeholderShown = false;
  private previewUrl: string | null = null;

  constructor(init: { imageId: string | null; fileName: string }, handlers: TileHandlers) {
    this.imageId = init.imageId;
    this.fileName = init.fileName;
    this.img = h('img', { alt: '', decoding: 'async', loading: 'lazy', width: 150, height: 150 });
    this.img.addEventListener('load', () => this.frame.classList.add('loaded'));
    // Signed URLs expire: a page left open for hours asks for the record again (new URLs).
    let lastStale = 0;
    this.img.addEventListener('error', () => {
      if (!this.imageId || !this.img.dataset.key || Date.now() - lastStale < STALE_RETRY_MS) return;
      lastStale = Date.now();
      handlers.stale(this);
    });
    this.frame = h('span', { class: 'tile-frame' }, this.img);
    this.statusLine = h('span', { class: 'tile-status' });
    this.bar = h('progress', { class: 'tile-progress', max: 100, hidden: true });
    this.button = h('button', { type: 'button', class: 'tile-open' }, this.frame);
    this.button.addEventListener('click', () => handlers.open(this));
    this.element = h(
      'li',
      { class: 'tile' },
      this.button,
      h('span', { class: 'tile-name' }, init.fileName),
      this.statusLine,
      this.bar,
    );
    this.render();
  }

  /** A local preview (the file being uploaded), until the server's thumbnail exists. */
  preview(objectUrl: string): void {
    this.previewUrl = objectUrl;
    this.img.src = objectUrl;
  }

  uploading(fraction: number): void {
    this.status = 'uploading';
    this.statusLine.textContent = `Uploading ${Math.round(fraction * 100)}%`;
    this.progress(fraction * 100);
    this.render();
  }

  /** The bytes are in; processing has not started. */
  queued(): void {
    this.status = 'uploaded';
    this.statusLine.textContent = STATUS_TEXT.uploaded;
    this.progress(0);
    this.render();
  }

  failedLocally(message: string): void {
    this.status = 'error';
    this.statusLine.textContent = message;
    this.progress(null);
    this.render();
  }

  /** From a list page or a record: thumbnail, status. */
  show(image: ImageSummary | Image): void {
    this.imageId = image.imageId;
    this.status = image.status;
    this.statusLine.textContent = STATUS_TEXT[image.status];
    if ('analysis' in image) this.showRecord(image);
    const src = image.thumbnails.small;
    if (src && this.img.dataset.key !== image.thumbnails.small) {
      this.img.dataset.key = src;
      this.img.src = src;
      this.releasePreview();
      // small is 150 px, medium 480: sharp tiles on high-density screens.
      if (image.thumbnails.medium) {
        this.img.srcset = `${src} 150w, ${image.thumbnails.medium} 480w`;
        this.img.sizes = '(min-width: 40em) 12rem, 45vw';
      }
    }
    if (isFinished(image.status)) this.progress(null);
    this.render();
  }

  /** Progress of processing, from GET /images/{id}/status. */
  showStatus(status: ImageStatus): void {
    this.status = status.status;
    this.statusLine.textContent =
      status.status === 'processing'
        ? `Processing ${status.progress}%`
        : status.status === 'failed' && status.error
          ? `Failed: ${status.error.message}`
          : STATUS_TEXT[status.status];
    this.progress(isFinished(status.status) ? null : status.progress);
    this.render();
  }

  remove(): void {
    this.releasePreview();
    this.element.remove();
  }

  /** The local file's preview is no longer shown: let the browser free it. */
  private releasePreview(): void {
    if (this.previewUrl) URL.revokeObjectURL(this.previewUrl);
    this.previewUrl = null;
  }

  focus(): void {
    this.button.focus();
  }

  private showRecord(image: Image): void {
    this.img.alt = describeImage(image);
    if (image.placeholder && !this.placeholderShown) {
      this.placeholderShown = true;
      this.frame.style.backgroundColor = image.placeholder.dominantColor;
      const url = placeholderUrl(image.placeholder.thumbhash);
      if (url) {
        this.frame.style.backgroundImage = `url("${url}")`;
        this.frame.dataset.placeholder = 'thumbhash';
      }
    }
  }

  private progress(percent: number | null): void {
    this.bar.hidden = percent === null;
    if (percent !== null) this.bar.value = percent;
  }

  private render(): void {
    this.element.dataset.status = this.status;
    if (this.imageId) this.element.dataset.imageId = this.imageId;
    this.bar.setAttribute('aria-label', `Progress of ${this.fileName}`);
    // The button's name: what the picture shows (or its file name), then its status.
    this.button.setAttribute(
      'aria-label',
      `${this.img.alt || this.fileName}. ${this.statusLine.textContent ?? ''}`,
    );
    this.button.disabled = this.imageId === null;
  }
}
