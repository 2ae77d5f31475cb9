import type { Image } from '../client/index.ts';
import { h } from './dom.ts';
import { formatBytes, formatDate, formatExposure, formatPercent } from './format.ts';
import { BOX_KINDS, type BoxKind, boxesOf, drawBoxes } from './overlay.ts';
import { describeImage } from './tiles.ts';

const KIND_NAMES: Record<BoxKind, string> = { face: 'Faces', object: 'Objects', text: 'Text' };

type Row = [string, string | null | undefined];

function facts(rows: readonly Row[]): HTMLDListElement | HTMLParagraphElement {
  const present = rows.filter((row): row is [string, string] => row[1] !== null && row[1] !== undefined);
  if (present.length === 0) return h('p', { class: 'muted' }, 'None');
  return h(
    'dl',
    { class: 'facts' },
    ...present.flatMap(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]),
  );
}

function section(title: string, ...content: Node[]): HTMLElement {
  return h('section', {}, h('h3', {}, title), ...content);
}

function metadataSection(image: Image): HTMLElement {
  const meta = image.metadata;
  return section(
    'Metadata',
    facts([
      ['Dimensions', meta ? `${meta.width} × ${meta.height} px` : null],
      ['Format', meta?.format ?? image.fileType],
      ['Size', formatBytes(meta?.size ?? image.size)],
      ['Transparency', meta ? (meta.hasAlpha ? 'Yes' : 'No') : null],
      ['Uploaded', formatDate(image.uploadedAt)],
      ['Processed', image.processedAt ? formatDate(image.processedAt) : null],
      ['Deleted automatically', image.expiresAt ? formatDate(image.expiresAt) : null],
    ]),
  );
}

function exifSection(image: Image): HTMLElement {
  const exif = image.metadata?.exif;
  return section(
    'EXIF',
    facts(
      exif
        ? [
            ['Camera', [exif.make, exif.model].filter(Boolean).join(' ') || null],
            ['Lens', exif.lens],
            ['Taken', exif.takenAt ? formatDate(exif.takenAt) : null],
            ['Exposure', exif.exposureTime ? formatExposure(exif.exposureTime) : null],
            ['Aperture', exif.fNumber ? `f/${exif.fNumber}` : null],
            ['ISO', exif.iso ? String(exif.iso) : null],
            ['Focal length', exif.focalLength ? `${exif.focalLength} mm` : null],
            [
              'Location',
              exif.gps ? `${exif.gps.latitude.toFixed(5)}, ${exif.gps.longitude.toFixed(5)}` : null,
            ],
          ]
        : [],
    ),
  );
}

function chips(items: readonly { name: string; confidence: number }[]): HTMLElement {
  if (items.length === 0) return h('p', { class: 'muted' }, 'None');
  return h(
    'ul',
    { class: 'chips' },
    ...items.map((item) =>
      h('li', {}, `${item.name} `, h('span', { class: 'muted' }, formatPercent(item.confidence))),
    ),
  );
}

function analysisSection(image: Image): HTMLElement {
  const analysis = image.analysis;
  if (!analysis) return section('Analysis', h('p', { class: 'muted' }, 'Not analysed (yet).'));
  return section(
    'Analysis',
    h('h4', {}, 'Labels'),
    chips(analysis.labelDetails),
    h('h4', {}, 'Objects'),
    chips(analysis.objects),
    h('h4', {}, `Faces (${analysis.faces})`),
    chips(
      analysis.faceDetails.map((face) => ({
        name:
          [
            face.gender?.value,
            face.ageRange && `${face.ageRange.low}–${face.ageRange.high}`,
            face.emotions[0]?.type.toLowerCase(),
          ]
            .filter(Boolean)
            .join(', ') || 'Face',
        confidence: face.confidence,
      })),
    ),
    h('h4', {}, 'Text'),
    analysis.text.length === 0
      ? h('p', { class: 'muted' }, 'None')
      : h('ol', { class: 'text-lines' }, ...analysis.text.map((line) => h('li', {}, line.text))),
    h('h4', {}, 'Moderation'),
    chips(analysis.moderationLabels),
    ...(analysis.errors.length > 0
      ? [
          h('h4', {}, 'Errors'),
          h(
            'ul',
            {},
            ...analysis.errors.map((error) => h('li', {}, `${error.step}: ${error.code}, ${error.message}`)),
          ),
        ]
      : []),
  );
}

function downloadsSection(image: Image): HTMLElement {
  const links: [string, string | null][] = [
    ['Original', image.downloadUrl],
    ['WebP', image.webpUrl],
    ['Large (1024 px)', image.thumbnails.large],
    ['Medium (480 px)', image.thumbnails.medium],
    ['Small (150 px)', image.thumbnails.small],
  ];
  const present = links.filter((link): link is [string, string] => link[1] !== null);
  return section(
    'Downloads',
    present.length === 0
      ? h('p', { class: 'muted' }, 'Nothing to download yet.')
      : h(
          'ul',
          { class: 'links' },
          ...present.map(([name, url]) =>
            h('li', {}, h('a', { href: url, target: '_blank', rel: 'noopener' }, name)),
          ),
        ),
  );
}

interface StageOptions {
  /** Kinds of box switched off; kept while the same image is shown again. */
  hidden: Set<BoxKind>;
  /** The picture did not load (its signed URL expired). */
  onStale: () => void;
}

/** The picture with its boxes, and a switch per kind of box. */
function stage(image: Image, options: StageOptions): HTMLElement {
  const boxes = image.analysis ? boxesOf(image.analysis) : [];
  const src = image.thumbnails.large ?? image.thumbnails.medium ?? image.thumbnails.small;
  const layer = h('div', { class: 'boxes', 'aria-label': 'Analysis boxes', role: 'group' });
  drawBoxes(layer, boxes);
  const picture = src
    ? h('img', { class: 'stage-picture', src, alt: describeImage(image) })
    : h('p', { class: 'muted' }, 'No preview yet.');
  if (src) picture.addEventListener('error', options.onStale, { once: true });
  if (image.placeholder) picture.style.backgroundColor = image.placeholder.dominantColor;
  const switches = BOX_KINDS.map((kind) => {
    const count = boxes.filter((box) => box.kind === kind).length;
    const shown = !options.hidden.has(kind);
    layer.classList.toggle(`hide-${kind}`, !shown);
    const input = h('input', {
      type: 'checkbox',
      checked: shown,
      disabled: count === 0,
      'data-key': `switch-${kind}`,
    });
    input.addEventListener('change', () => {
      layer.classList.toggle(`hide-${kind}`, !input.checked);
      if (input.checked) options.hidden.delete(kind);
      else options.hidden.add(kind);
    });
    return h('label', { class: `switch switch-${kind}` }, input, ` ${KIND_NAMES[kind]} (${count})`);
  });
  return h(
    'figure',
    { class: 'stage' },
    h('div', { class: 'stage-frame' }, picture, layer),
    h('figcaption', {}, h('fieldset', { class: 'switches' }, h('legend', {}, 'Show boxes'), ...switches)),
  );
}

export interface DetailActions {
  /** Deletes the image after asking; true when it is gone. */
  delete(imageId: string, fileName: string): Promise<boolean>;
  /** The record's signed URLs stopped working: show a fresh record (show() again). */
  stale(imageId: string): void;
}

const STALE_RETRY_MS = 30_000;

/**
 * The detail view, a modal <dialog>: the picture with boxes over faces, objects and text,
 * what the analysis found, metadata, EXIF, downloads, and delete. A native dialog traps
 * focus, closes on Escape and gives focus back to the tile that opened it.
 */
export class DetailView {
  private imageId: string | null = null;
  private hidden = new Set<BoxKind>();
  private staleAt = 0;

  constructor(
    private readonly dialog: HTMLDialogElement,
    private readonly actions: DetailActions,
  ) {
    // A click on the backdrop (the dialog element itself, outside its content) closes it.
    dialog.addEventListener('click', (event) => {
      if (event.target === dialog) dialog.close();
    });
    dialog.addEventListener('close', () => {
      this.imageId = null;
    });
  }

  get openImageId(): string | null {
    return this.imageId;
  }

  /**
   * Shows the image, or shows it again with newer data (it finished, its URLs were renewed):
   * then the box switches and the focused control stay as they were.
   */
  show(image: Image): void {
    const again = this.dialog.open && this.imageId === image.imageId;
    const focused = again ? (document.activeElement as HTMLElement | null)?.dataset.key : undefined;
    if (!again) this.hidden = new Set();
    this.imageId = image.imageId;
    const close = h(
      'button',
      { type: 'button', class: 'close', 'aria-label': 'Close', 'data-key': 'close' },
      '×',
    );
    close.addEventListener('click', () => this.dialog.close());
    const remove = h('button', { type: 'button', class: 'danger', 'data-key': 'delete' }, 'Delete image');
    remove.addEventListener('click', async () => {
      remove.disabled = true;
      if (await this.actions.delete(image.imageId, image.fileName)) this.dialog.close();
      else remove.disabled = false;
    });
    const onStale = () => {
      if (Date.now() - this.staleAt < STALE_RETRY_MS) return;
      this.staleAt = Date.now();
      this.actions.stale(image.imageId);
    };
    this.dialog.replaceChildren(
      h(
        'div',
        { class: 'detail' },
        h(
          'header',
          {},
          h('h2', { id: 'detail-title' }, image.fileName),
          h('span', { class: `badge badge-${image.status}` }, image.status),
          close,
        ),
        h(
          'div',
          { class: 'detail-body' },
          stage(image, { hidden: this.hidden, onStale }),
          h(
            'div',
            { class: 'detail-facts' },
            analysisSection(image),
            metadataSection(image),
            exifSection(image),
            downloadsSection(image),
          ),
        ),
        h('footer', {}, remove),
      ),
    );
    if (!this.dialog.open) this.dialog.showModal();
    else if (focused) this.dialog.querySelector<HTMLElement>(`[data-key="${focused}"]`)?.focus();
  }

  close(): void {
    if (this.dialog.open) this.dialog.close();
  }
}
