import { type ImageApiClient, ImageApiError, type ImageList, type ListFilters } from '../client/index.ts';
import { eachLimited } from '../core/each-limited.ts';
import { DetailView } from './detail.ts';
import { announce, byId } from './dom.ts';
import { LiveUpdates } from './live.ts';
import { clientFor, forgetKey, isRefusedKey, storedKey, storeKey } from './session.ts';
import { Tile } from './tiles.ts';
import { uploadFile } from './upload.ts';

/**
 * The gallery page: connect with an API key, upload by drag and drop or file picker, browse
 * and filter the images, watch them being processed, open one for its details.
 */
const PAGE_SIZE = 24;
const UPLOADS_AT_ONCE = 3;
/** The API's shortest search terms: text needs 3 characters, labels and objects 1. */
const MIN_TERM: Record<string, number> = { label: 1, object: 1, text: 3 };

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
/** The filters of the list shown, and the cursor of its next page (none: the last is shown). */
let shownFilters: ListFilters = {};
let nextCursor: string | undefined;
/** Bumped by every list request: an answer to an older one is dropped. */
let listGeneration = 0;
let listAbort: AbortController | null = null;
/** Every tile in the grid; by image id once the image has one. */
const shown = new Set<Tile>();
const tiles = new Map<string, Tile>();
/** Tiles whose bytes are still being sent: a new list keeps them at the top. */
const uploading = new Set<Tile>();

const tileHandlers = {
  open: (tile: Tile) => void openTile(tile),
  stale: (tile: Tile) => live.track(tile),
};
const detail = new DetailView(byId<HTMLDialogElement>('detail'), {
  delete: deleteImage,
  stale: (imageId) => {
    const tile = tiles.get(imageId);
    if (tile) void openTile(tile);
  },
});
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

/** A refused key ends the session, whatever was asked: true when that happened. */
function refusedKey(error: unknown): boolean {
  if (!isRefusedKey(error)) return false;
  disconnect(`The server refused the key: ${errorMessage(error)}`);
  return true;
}

function addTile(tile: Tile, where: 'start' | 'end'): void {
  if (where === 'start') grid.prepend(tile.element);
  else grid.append(tile.element);
  shown.add(tile);
  if (tile.imageId) tiles.set(tile.imageId, tile);
}

function removeTile(tile: Tile): void {
  live.forget(tile);
  shown.delete(tile);
  uploading.delete(tile);
  if (tile.imageId && tiles.get(tile.imageId) === tile) tiles.delete(tile.imageId);
  tile.remove();
  updateSummary();
}

/** Empties the grid for a new list, but for the uploads still under way. */
function clearGrid(): void {
  live.clear();
  for (const tile of shown) if (!uploading.has(tile)) tile.remove();
  shown.clear();
  tiles.clear();
  grid.replaceChildren();
  for (const tile of [...uploading].reverse()) addTile(tile, 'start');
}

function updateSummary(): void {
  const count = grid.children.length;
  moreButton.hidden = nextCursor === undefined;
  summary.textContent =
    count === 0
      ? shownFilters.label || shownFilters.object || shownFilters.text || shownFilters.status
        ? 'No images match these filters.'
        : 'No images yet: drop some on this page, or choose files.'
      : `${count} image${count === 1 ? '' : 's'}${moreButton.hidden ? '' : ', more below'}`;
}

function formFilters(): ListFilters {
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
    if (refusedKey(error)) return;
    if (error instanceof ImageApiError && error.status === 404) removeTile(tile);
    announce(`Could not open ${tile.fileName}: ${errorMessage(error)}`);
  }
}

/** The tile focus should go to once `tile` is gone: the next one, else the one before. */
function neighbourOf(tile: Tile): Tile | undefined {
  const sibling = (tile.element.nextElementSibling ??
    tile.element.previousElementSibling) as HTMLElement | null;
  return [...shown].find((other) => other.element === sibling);
}

async function deleteImage(imageId: string, fileName: string): Promise<boolean> {
  if (!client) return false;
  if (!window.confirm(`Delete ${fileName}? Its original, thumbnails and analysis are removed for good.`))
    return false;
  try {
    await client.delete(imageId);
  } catch (error) {
    if (refusedKey(error)) return false;
    if (!(error instanceof ImageApiError && error.status === 404)) {
      announce(`Could not delete ${fileName}: ${errorMessage(error)}`);
      return false;
    }
  }
  const tile = tiles.get(imageId);
  const neighbour = tile ? neighbourOf(tile) : undefined;
  if (tile) removeTile(tile);
  announce(`${fileName} deleted`);
  // After the dialog has closed (it would give focus back to the tile just removed).
  window.setTimeout(() => (neighbour ? neighbour.focus() : grid.focus()), 0);
  return true;
}

/**
 * A page of the list: the first one of `filters` (replacing the grid once it has arrived;
 * an error leaves the grid as it was), or the next one of the list shown. A request made
 * after this one wins: this one's answer is then dropped.
 */
async function loadPage(filtersToShow: ListFilters | 'next'): Promise<void> {
  const active = client;
  if (!active) return;
  const first = filtersToShow !== 'next';
  const query = first ? filtersToShow : { ...shownFilters, lastEvaluatedKey: nextCursor };
  if (!first && !nextCursor) return;
  const generation = ++listGeneration;
  listAbort?.abort();
  const abort = new AbortController();
  listAbort = abort;
  moreButton.disabled = true;
  let page: ImageList | undefined;
  try {
    const pages = active.list(query, { signal: abort.signal });
    page = (await pages.next()).value ?? undefined;
    await pages.return(undefined);
  } catch (error) {
    if (generation !== listGeneration || refusedKey(error)) return;
    listError.textContent = errorMessage(error);
    return;
  } finally {
    if (generation === listGeneration) moreButton.disabled = false;
  }
  if (generation !== listGeneration || !page) return;
  showPage(page, filtersToShow);
}

/** Puts a page in the grid: the first of a new list (its filters), or the next one. */
function showPage(page: ImageList, filtersShown: ListFilters | 'next'): void {
  listError.textContent = '';
  if (filtersShown !== 'next') {
    shownFilters = filtersShown;
    clearGrid();
  }
  nextCursor = page.lastEvaluatedKey;
  for (const image of page.images) {
    // An upload of this page that the list already has stays where it is, at the top.
    if (tiles.has(image.imageId)) continue;
    const tile = new Tile({ imageId: image.imageId, fileName: image.fileName }, tileHandlers);
    tile.show(image);
    addTile(tile, 'end');
    live.track(tile);
  }
  updateSummary();
}

async function uploadFiles(files: readonly File[]): Promise<void> {
  const active = client;
  if (!active || files.length === 0) return;
  const jobs = files.map((file) => {
    const tile = new Tile({ imageId: null, fileName: file.name }, tileHandlers);
    tile.preview(URL.createObjectURL(file));
    tile.uploading(0);
    uploading.add(tile);
    return { file, tile };
  });
  for (const { tile } of [...jobs].reverse()) addTile(tile, 'start');
  updateSummary();
  announce(`Uploading ${files.length} file${files.length === 1 ? '' : 's'}`);
  await eachLimited(jobs, UPLOADS_AT_ONCE, async ({ file, tile }) => {
    // A session ended meanwhile (a refused key): the rest are not sent.
    if (client !== active) return;
    try {
      await uploadFile(active, file, {
        onCreated: (imageId) => {
          tile.imageId = imageId;
          if (shown.has(tile)) tiles.set(imageId, tile);
        },
        onProgress: (fraction) => tile.uploading(fraction),
      });
      uploading.delete(tile);
      tile.queued();
      if (shown.has(tile)) live.watch(tile);
    } catch (error) {
      uploading.delete(tile);
      if (tile.imageId && tiles.get(tile.imageId) === tile) tiles.delete(tile.imageId);
      tile.imageId = null;
      if (refusedKey(error)) return;
      tile.failedLocally(errorMessage(error));
      announce(`${file.name} was not uploaded: ${errorMessage(error)}`);
    }
  });
}

async function connect(key: string): Promise<void> {
  const active = clientFor(key);
  client = active;
  keyError.textContent = '';
  const filtersAsked = formFilters();
  let page: ImageList | undefined;
  try {
    // Asked directly, not through loadPage: a key that cannot be checked is not kept. The
    // answer is the gallery's first page.
    const pages = active.list(filtersAsked);
    page = (await pages.next()).value ?? undefined;
    await pages.return(undefined);
  } catch (error) {
    client = null;
    const refused = isRefusedKey(error);
    if (refused) forgetKey();
    showKeyPanel(
      refused
        ? `That key was refused: ${errorMessage(error)}`
        : `Could not reach the API: ${errorMessage(error)}`,
    );
    return;
  }
  // Disconnected meanwhile.
  if (client !== active) return;
  storeKey(key);
  // The first page before the gallery shows, so that it appears with its images (or says
  // there are none) rather than empty; a list asked for meanwhile is older than this one.
  listGeneration += 1;
  if (page) showPage(page, filtersAsked);
  keyPanel.hidden = true;
  galleryPanel.hidden = false;
  forgetButton.hidden = false;
  grid.focus();
  announce(`Connected: ${summary.textContent ?? ''}`);
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
  listGeneration += 1;
  listAbort?.abort();
  uploading.clear();
  clearGrid();
  nextCursor = undefined;
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
const termLength = () => {
  filterValue.minLength = MIN_TERM[filterKind.value] ?? 1;
};
filterKind.addEventListener('change', termLength);
termLength();
filters.addEventListener('submit', (event) => {
  event.preventDefault();
  void loadPage(formFilters());
});
filters.addEventListener('reset', () => {
  // After the form has put its fields back.
  window.setTimeout(() => {
    termLength();
    void loadPage(formFilters());
  }, 0);
});
moreButton.addEventListener('click', () => void loadPage('next'));
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
