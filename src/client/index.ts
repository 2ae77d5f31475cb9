/**
 * `serverless-image-api/client`: a typed client for the API, for Node ≥ 20 and browsers.
 * Calls are typed from the OpenAPI document (openapi-fetch over ./openapi.ts); on top, the
 * flows every client writes: upload (ask for a URL, PUT the bytes), wait for processing,
 * page through lists, download a variant. Error answers throw ImageApiError.
 */
import createClient from 'openapi-fetch';
import { ImageApiError, ImageApiTimeoutError } from './errors.ts';
import type { ImageType } from './file-type.ts';
import type { components, paths } from './openapi.ts';
import { prepareUpload, type UploadInput } from './upload-input.ts';

export { ImageApiError, ImageApiTimeoutError } from './errors.ts';
export { extensionFor, IMAGE_EXTENSIONS, type ImageType, typeFromBytes, typeFromName } from './file-type.ts';
export type { components, paths } from './openapi.ts';
export type { UploadInput } from './upload-input.ts';

type Schemas = components['schemas'];
export type Image = Schemas['Image'];
export type ImageSummary = Schemas['ImageSummary'];
export type ImageList = Schemas['ImageList'];
export type ImageStatus = Schemas['ImageStatus'];
export type ApiKey = Schemas['ApiKey'];
export type CreatedApiKey = Schemas['CreatedApiKey'];
export type CreateKeyRequest = Schemas['CreateKeyRequest'];
export type DeadLetter = Schemas['DeadLetter'];
export type AnalysisName = NonNullable<Schemas['UploadRequest']['analysis']>[number];
/** Filters and page size of GET /images; `lastEvaluatedKey` starts from a given page. */
export type ListFilters = NonNullable<paths['/images']['get']['parameters']['query']>;
/** What `download` can fetch: the original, a JPEG thumbnail, or the full-size WebP. */
export type Variant = 'original' | 'small' | 'medium' | 'large' | 'webp';
export const VARIANTS: readonly Variant[] = ['original', 'small', 'medium', 'large', 'webp'];

export interface ImageApiClientOptions {
  /** Where the API is, e.g. http://127.0.0.1:3000 or the stack's ApiEndpoint. */
  baseUrl: string;
  /** Sent as x-api-key on API calls; never on the signed upload and download URLs. */
  apiKey: string;
  /** A fetch to use instead of the global one (tests, proxies, retries). */
  fetch?: (input: Request) => Promise<Response>;
}

export interface UploadOptions {
  /** Default: the file's or File's name, else `upload.<ext>`. */
  fileName?: string;
  /** Default: from the first bytes (magic number), else from the name's extension. */
  fileType?: ImageType;
  /** Which analyses to run (default: all the server enables; [] for none). */
  analysis?: AnalysisName[];
  signal?: AbortSignal;
}

export interface UploadResult {
  imageId: string;
  fileName: string;
  fileType: ImageType;
  size: number;
}

export interface WaitOptions {
  /** Give up after this long with ImageApiTimeoutError (default 5 minutes). */
  timeoutMs?: number;
  /** Longest single long-poll in seconds, 1–20 (default 20); shorter polls report progress more often. */
  pollSeconds?: number;
  signal?: AbortSignal;
  /** Called with every status seen, the final one included. */
  onStatus?: (status: ImageStatus) => void;
}

type Result<T> = Promise<{ data?: T; error?: unknown; response: Response }>;

/** The body of a successful answer, or ImageApiError built from the error answer. */
async function unwrap<T>(call: Result<T>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok || data === undefined) throw await ImageApiError.fromResponse(response, error);
  return data;
}

/** Completed or failed: nothing more happens to the image unless it is redriven. */
export function isFinished(status: ImageStatus['status']): boolean {
  return status === 'completed' || status === 'failed';
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    signal?.throwIfAborted();
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** A client for one API and key. `raw` is the typed openapi-fetch client for anything else. */
export function createImageApiClient(options: ImageApiClientOptions) {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  // Called through a wrapper: a browser's fetch refuses to run as another object's method.
  const fetchUrl = (url: string, init: RequestInit) =>
    options.fetch ? options.fetch(new Request(url, init)) : globalThis.fetch(url, init);
  const raw = createClient<paths>({
    baseUrl,
    headers: { 'x-api-key': options.apiKey },
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const byId = (imageId: string) => ({ params: { path: { imageId } } });

  const client = {
    raw,

    /** Creates the image record, then PUTs the bytes to its signed URL (without the API key). */
    async upload(input: UploadInput, opts: UploadOptions = {}): Promise<UploadResult> {
      const file = await prepareUpload(input, opts);
      const { imageId, uploadUrl } = await unwrap(
        raw.POST('/images/upload', {
          body: { fileName: file.fileName, fileType: file.fileType, analysis: opts.analysis },
          signal: opts.signal,
        }),
      );
      const put = await fetchUrl(uploadUrl, {
        method: 'PUT',
        body: file.body,
        headers: { 'content-type': file.fileType },
        signal: opts.signal,
      });
      if (!put.ok) throw await ImageApiError.fromResponse(put);
      await put.body?.cancel();
      return { imageId, fileName: file.fileName, fileType: file.fileType, size: file.body.size };
    },

    /** Long-polls the status until the image is completed or failed, and returns that status. */
    async waitFor(imageId: string, opts: WaitOptions = {}): Promise<ImageStatus> {
      const timeoutMs = opts.timeoutMs ?? 300_000;
      const deadline = Date.now() + timeoutMs;
      const pollSeconds = Math.min(20, Math.max(1, opts.pollSeconds ?? 20));
      for (;;) {
        const wait = Math.max(0, Math.min(pollSeconds, Math.floor((deadline - Date.now()) / 1000)));
        const status = await client.status(imageId, { wait, signal: opts.signal });
        opts.onStatus?.(status);
        if (isFinished(status.status)) return status;
        const left = deadline - Date.now();
        if (left <= 0) throw new ImageApiTimeoutError(imageId, status, timeoutMs);
        // A poll that did not wait (under a second left): do not hammer the server.
        if (wait === 0) await sleep(Math.min(250, left), opts.signal);
      }
    },

    /** Pages of GET /images, newest first, following lastEvaluatedKey to the last page. */
    async *list(filters: ListFilters = {}, opts: { signal?: AbortSignal } = {}): AsyncGenerator<ImageList> {
      let cursor = filters.lastEvaluatedKey;
      do {
        const query = { ...filters, lastEvaluatedKey: cursor };
        const page = await unwrap(raw.GET('/images', { params: { query }, signal: opts.signal }));
        yield page;
        cursor = page.lastEvaluatedKey;
      } while (cursor);
    },

    /** The image record with signed download URLs, metadata and analysis. */
    get(imageId: string, opts: { signal?: AbortSignal } = {}): Promise<Image> {
      return unwrap(raw.GET('/images/{imageId}', { ...byId(imageId), signal: opts.signal }));
    },

    /** Processing status; `wait` (0–20 s) holds the answer until the image has finished. */
    status(imageId: string, opts: { wait?: number; signal?: AbortSignal } = {}): Promise<ImageStatus> {
      return unwrap(
        raw.GET('/images/{imageId}/status', {
          params: { path: { imageId }, query: opts.wait ? { wait: opts.wait } : {} },
          signal: opts.signal,
        }),
      );
    },

    /** Deletes the image, its files and queued jobs. */
    delete(imageId: string): Promise<{ message: string; imageId: string }> {
      return unwrap(raw.DELETE('/images/{imageId}', byId(imageId)));
    },

    /**
     * The bytes of one variant, through the record's signed URL. Pass the record when you
     * have it, to save asking for it again.
     */
    async download(image: string | Image, variant: Variant = 'original'): Promise<Uint8Array> {
      const record = typeof image === 'string' ? await client.get(image) : image;
      const url = variantUrl(record, variant);
      if (!url)
        throw new ImageApiError(
          404,
          'NOT_FOUND',
          `variant: image ${record.imageId} has no ${variant} yet (status ${record.status})`,
        );
      const res = await fetchUrl(url, { method: 'GET' });
      if (!res.ok) throw await ImageApiError.fromResponse(res);
      return new Uint8Array(await res.arrayBuffer());
    },

    /** Admin: API keys. */
    keys: {
      create: (input: CreateKeyRequest): Promise<CreatedApiKey> => unwrap(raw.POST('/keys', { body: input })),
      list: async (): Promise<ApiKey[]> => (await unwrap(raw.GET('/keys'))).keys,
      revoke: (keyId: string): Promise<{ message: string; keyId: string }> =>
        unwrap(raw.DELETE('/keys/{keyId}', { params: { path: { keyId } } })),
    },

    /** Admin: jobs that failed every attempt. */
    deadLetters: {
      list: async (): Promise<DeadLetter[]> => (await unwrap(raw.GET('/jobs/dead-letters'))).deadLetters,
      /** Sends the given dead letters (all of them without ids) back to the queue. */
      redrive: async (ids?: string[]): Promise<number> =>
        (await unwrap(raw.POST('/jobs/dead-letters/redrive', { body: ids ? { ids } : {} }))).redriven,
    },
  };
  return client;
}

export type ImageApiClient = ReturnType<typeof createImageApiClient>;

/** The signed URL of a variant in an image record, null until it exists. */
export function variantUrl(image: Image, variant: Variant): string | null {
  switch (variant) {
    case 'original':
      return image.downloadUrl;
    case 'webp':
      return image.webpUrl;
    default:
      return image.thumbnails[variant];
  }
}
