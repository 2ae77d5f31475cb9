import { type ImageApiClient, ImageApiError, type ImageList, type ListFilters } from '../client/index.ts';
import { DetailView } from './detail.ts';
import { announce, byId } from './dom.ts';
import { LiveUpdates } from './live.ts';
import { clientFor, forgetKey, storedKey, storeKey } from './session.ts';
import { Tile } from './tiles.ts';
import { uploadFile } from './upload.ts';

/**
 * The gallery page: connect with an API key, upload by drag and drop or file picker, browse
 * and filter the images, watch them being processed, open one for its details.
 */
const PAGE_SIZE = 24;
const UPLOADS_AT_ONCE = 3;

const keyPanel = byId<HTMLElement>('key-panel');
const keyForm = byId<HTMLFormElement>('key-form');
const keyInput = byId<HTMLInputElement>('key-input');
const keyError = byId<HTMLElement>('key-error');
const galleryPanel = byId<HTMLElement>('gallery');
const forgetButton = byId<HTMLButtonElement>('forget-key');
const fileInput = byId<HTMLInputElement>('file-input');
const filters = byId<HTMLFormElement>('filters');
const filterKind = byId<HTMLSelectElement>('filter-kind');
const filterValue = byId<HTMLInputElement>('filter-value');
const filterStatus = byId<HTMLSelectElement>('filter-status');
const listError = byId<HTMLElement>('list-error');
const summary = byId<HTMLElement>('summary');
const grid = byId<HTMLUListElement>('grid');
const moreButton = byId<HTMLButtonElement>('more');

let client: ImageApiClient | null = null;
let pages: AsyncGenerator<ImageList> | null = null;
const tiles = new Map<string, Tile>();

const detail = new DetailView(byId<HTMLDialogElement>('detail'), deleteImage);
const live = new LiveUpdates(() => client, {
  finished(tile, record) {
    announce(`${tile.fileName}: ${record.status}`);
    if (detail.openImageId === record.imageId) detail.show(record);
  },
  gone(tile) {
    removeTile(tile);
  },
  refused(error) {
    disconnect(`The server refused the key: ${error.message}`);
  },
});

function errorMessage(error: unknown): string {
  if (error instanceof ImageApiError) return `${error.message} (${error.code})`;
  return error instanceof Error ? error.message : String(error);
}

function addTile(tile: Tile, where: 'start' | 'end'): void {
  if (where === 'start') grid.prepend(tile.element);
  else grid.append(tile.element);
  if (tile.imageId) tiles.set(tile.imageId, tile);
}

function removeTile(tile: Tile): void {
  live.forget(tile);
  if (tile.imageId) tiles.delete(tile.imageId);
  tile.remove();
  updateSummary(null);
}

function updateSummary(hasMore: boolean | null): void {
  const count = grid.children.length;
  if (hasMore !== null) moreButton.hidden = !hasMore;
  summary.textContent =
    count === 0
      ? filtersActive()
        ? 'No images match these filters.'
        : 'No images yet: drop some on this page, or choose files.'
      : `${count} image${count === 1 ? '' : 's'}${moreButton.hidden ? '' : ', more below'}`;
}

function filtersActive(): boolean {
  return filterValue.value.trim() !== '' || filterStatus.value !== '';
}

function currentFilters(): ListFilters {
  const query: ListFilters = { limit: PAGE_SIZE };
  const value = filterValue.value.trim();
  if (value) query[filterKind.value as 'label' | 'object' | 'text'] = value;
  if (filterStatus.value) query.status = filterStatus.value as ListFilters['status'];
  return query;
}

async function openTile(tile: Tile): Promise<void> {
  if (!client || !tile.imageId) return;
  try {
    const record = await client.get(tile.imageId);
    tile.show(record);
    detail.show(record);
  } catch (error) {
    if (error instanceof ImageApiError && error.status === 404) removeTile(tile);
    announce(`Could not open ${tile.fileName}: ${errorMessage(error)}`);
  }
}

const tileHandlers = {
  open: (tile: Tile) => void openTile(tile),
  stale: (tile: Tile) => live.track(tile),
};

function tileFor(imageId: string, fileName: string): Tile {
  return tiles.get(imageId) ?? new Tile({ imageId, fileName }, tileHandlers);
}

async function deleteImage(imageId: string, fileName: string): Promise<boolean> {
  if (!client) return false;
  if (!window.confirm(`Delete ${fileName}? Its original, thumbnails and analysis are removed for good.`))
    return false;
  try {
    await client.delete(imageId);
  } catch (error) {
    if (!(error instanceof ImageApiError && error.status === 404)) {
      announce(`Could not delete ${fileName}: ${errorMessage(error)}`);
      return false;
    }
  }
  const tile = tiles.get(imageId);
  if (tile) removeTile(tile);
  announce(`${fileName} deleted`);
  return true;
}

/** The next page of the list into the grid; the first one replaces what is there. */
async function loadPage(first: boolean): Promise<void> {
  if (!client) return;
  if (first) {
    live.clear();
    tiles.clear();
    grid.replaceChildren();
    pages = client.list(currentFilters());
  }
  if (!pages) return;
  listError.textContent = '';
  moreButton.disabled = true;
  try {
    const next = await pages.next();
    if (next.done) return updateSummary(false);
    for (const image of next.value.images) {
      const tile = tileFor(image.imageId, image.fileName);
      tile.show(image);
      addTile(tile, 'end');
      live.track(tile);
    }
    updateSummary(next.value.lastEvaluatedKey !== undefined);
  } catch (error) {
    if (error instanceof ImageApiError && (error.status === 401 || error.status === 403)) throw error;
    listError.textContent = errorMessage(error);
    pages = null;
    updateSummary(false);
  } finally {
    moreButton.disabled = false;
  }
}

async function uploadFiles(files: readonly File[]): Promise<void> {
  const active = client;
  if (!active || files.length === 0) return;
  const jobs = files.map((file) => {
    const tile = new Tile({ imageId: null, fileName: file.name }, tileHandlers);
    tile.preview(URL.createObjectURL(file));
    tile.uploading(0);
    return { file, tile };
  });
  for (const { tile } of [...jobs].reverse()) addTile(tile, 'start');
  updateSummary(null);
  announce(`Uploading ${files.length} file${files.length === 1 ? '' : 's'}`);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const { file, tile } = jobs[next++] as (typeof jobs)[number];
      try {
        await uploadFile(active, file, {
          onCreated: (imageId) => {
            tile.imageId = imageId;
            tiles.set(imageId, tile);
          },
          onProgress: (fraction) => tile.uploading(fraction),
        });
        tile.queued();
        live.watch(tile);
      } catch (error) {
        tile.failedLocally(errorMessage(error));
        announce(`${file.name} was not uploaded: ${errorMessage(error)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(UPLOADS_AT_ONCE, jobs.length) }, worker));
}

async function connect(key: string): Promise<void> {
  client = clientFor(key);
  keyError.textContent = '';
  try {
    await loadPage(true);
  } catch (error) {
    client = null;
    forgetKey();
    showKeyPanel(`That key was refused: ${errorMessage(error)}`);
    return;
  }
  storeKey(key);
  keyPanel.hidden = true;
  galleryPanel.hidden = false;
  forgetButton.hidden = false;
}

function showKeyPanel(message: string): void {
  keyError.textContent = message;
  keyPanel.hidden = false;
  galleryPanel.hidden = true;
  forgetButton.hidden = true;
  keyInput.focus();
}

function disconnect(message: string): void {
  client = null;
  pages = null;
  live.clear();
  tiles.clear();
  grid.replaceChildren();
  detail.close();
  forgetKey();
  showKeyPanel(message);
}

keyForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const key = keyInput.value.trim();
  if (key) void connect(key);
});
forgetButton.addEventListener('click', () => disconnect(''));
filters.addEventListener('submit', (event) => {
  event.preventDefault();
  void loadPage(true);
});
filters.addEventListener('reset', () => {
  // After the form has put its fields back.
  window.setTimeout(() => void loadPage(true), 0);
});
moreButton.addEventListener('click', () => void loadPage(false));
fileInput.addEventListener('change', () => {
  void uploadFiles([...(fileInput.files ?? [])]);
  fileInput.value = '';
});

// Files dropped anywhere on the page are uploaded; the page shows where they will go.
const carriesFiles = (event: DragEvent) => event.dataTransfer?.types.includes('Files') ?? false;
document.addEventListener('dragover', (event) => {
  if (!carriesFiles(event)) return;
  event.preventDefault();
  if (event.dataTransfer) event.dataTransfer.dropEffect = client ? 'copy' : 'none';
  document.body.classList.add('dragging');
});
document.addEventListener('dragleave', (event) => {
  if (event.relatedTarget === null) document.body.classList.remove('dragging');
});
document.addEventListener('drop', (event) => {
  if (!carriesFiles(event)) return;
  event.preventDefault();
  document.body.classList.remove('dragging');
  if (!client) return showKeyPanel('Connect with an API key first, then drop the files again.');
  void uploadFiles([...(event.dataTransfer?.files ?? [])]);
});

const saved = storedKey();
if (saved) void connect(saved);
else showKeyPanel('');
