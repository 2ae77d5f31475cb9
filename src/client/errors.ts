/**
 * An error answer of the API, `{"error": {"code", "message"}}`, or of anything in front of
 * it (a proxy's HTML page gets the code `HTTP_<status>`).
 */
export class ImageApiError extends Error {
  override readonly name = 'ImageApiError';

  constructor(
    /** The HTTP status (e.g. 404). */
    readonly status: number,
    /** The API's stable error code (e.g. NOT_FOUND, INVALID_API_KEY). */
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** Reads an error response's body into an ImageApiError. */
  static async fromResponse(response: Response, body?: unknown): Promise<ImageApiError> {
    const parsed = body === undefined ? await readBody(response) : body;
    const error = (parsed as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    if (error && typeof error.code === 'string')
      return new ImageApiError(response.status, error.code, String(error.message ?? error.code));
    const text = typeof parsed === 'string' && parsed ? `: ${parsed.slice(0, 200)}` : '';
    return new ImageApiError(
      response.status,
      `HTTP_${response.status}`,
      `${response.status} ${response.statusText}${text}`,
    );
  }
}

/** waitFor gave up: the image had not finished in time. Carries the last status seen. */
export class ImageApiTimeoutError extends Error {
  override readonly name = 'ImageApiTimeoutError';

  constructor(
    readonly imageId: string,
    readonly lastStatus: unknown,
    timeoutMs: number,
  ) {
    super(`image ${imageId} did not finish within ${timeoutMs} ms`);
  }
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text().catch(() => '');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
