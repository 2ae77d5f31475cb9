import { finished, PassThrough, Readable } from 'node:stream';
import type { ReadableStream as NodeWebStream } from 'node:stream/web';
import type { HttpBindings } from '@hono/node-server';
import { Hono } from 'hono';
import type { HmacSignedUrls, SignatureCheck } from '../../adapters/local/hmac-signed-urls.ts';
import type { CoreDeps } from '../../core/deps.ts';
import { ForbiddenError, NotFoundError, RangeNotSatisfiableError } from '../../core/errors.ts';
import { VARIANTS, type Variant } from '../../core/image.ts';
import { findVariant } from '../../core/images.ts';
import { receiveUpload } from '../../core/upload.ts';
import { planDownload } from '../download-plan.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** 403 unless the URL's signature holds and has not expired; `what` names the URL. */
function requireValid(check: SignatureCheck, what: 'upload' | 'download'): void {
  if (check === 'invalid')
    throw new ForbiddenError(`signature: the ${what} URL signature is invalid`, 'INVALID_SIGNATURE');
  if (check === 'expired')
    throw new ForbiddenError(`expires: the ${what} URL has expired`, 'EXPIRED_SIGNATURE');
}

/**
 * The signed-URL endpoints that stand in for S3 locally: PUT an upload, GET a file. Only the
 * local home mounts them; on AWS the same URLs are S3's.
 */
export function fileRoutes(deps: CoreDeps, signer: HmacSignedUrls) {
  // Bindings: @hono/node-server passes the IncomingMessage; other runtimes pass nothing.
  const app = new Hono<{ Bindings: Partial<HttpBindings> | undefined }>();

  app.put('/uploads/:imageId', async (c) => {
    const imageId = c.req.param('imageId');
    if (!UUID.test(imageId)) throw new NotFoundError('No such upload URL');
    requireValid(signer.verifyUpload(imageId, c.req.query(), deps.clock.now()), 'upload');
    const length = c.req.header('content-length');
    await receiveUpload(deps, {
      imageId,
      contentType: c.req.header('content-type'),
      contentLength: length === undefined ? undefined : Number(length),
      openBody: () => {
        // On Node the socket's own stream: a web ReadableStream in between costs CPU and
        // garbage for every 64 KB chunk of a multi-megabyte upload. Piped through a
        // PassThrough so a rejected upload destroys that, not the socket: @hono/node-server
        // then drains or closes the connection after our 4xx has gone out.
        const incoming = c.env?.incoming;
        if (incoming instanceof Readable) {
          const body = new PassThrough();
          // pipe() passes data, not failure: a client that disconnects mid-upload must fail
          // the write (releasing the URL), not leave it waiting for bytes forever.
          finished(incoming, { writable: false }, (error) => {
            if (error) body.destroy(error);
          });
          return incoming.pipe(body);
        }
        const body = c.req.raw.body;
        return body ? Readable.fromWeb(body as NodeWebStream<Uint8Array>) : null;
      },
    });
    return c.json({ imageId, status: 'uploaded' }, 200);
  });

  app.get('/files/:imageId/:variant', async (c) => {
    const { imageId, variant } = c.req.param();
    if (!UUID.test(imageId) || !VARIANTS.includes(variant as Variant))
      throw new NotFoundError('No such file');
    requireValid(
      signer.verifyDownload(imageId, variant as Variant, c.req.query(), deps.clock.now()),
      'download',
    );
    const file = await findVariant(deps, imageId, variant as Variant);
    const headers = {
      'Content-Type': file.contentType,
      ETag: file.etag,
      'Last-Modified': file.lastModified.toUTCString(),
      'Accept-Ranges': 'bytes',
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'private, max-age=300',
      // CORS headers are added only for requests with an Origin; a browser must not reuse
      // a copy cached from a plain navigation for a page's cross-origin fetch.
      Vary: 'Origin',
      'Content-Security-Policy': "default-src 'none'",
    };
    const plan = planDownload((name) => c.req.header(name), file);
    if (plan.status === 304) return c.body(null, 304, headers);
    if (plan.status === 416)
      throw new RangeNotSatisfiableError(
        `Range: no requested range starts within the file's ${file.size} bytes`,
        file.size,
      );
    const range = plan.status === 206 ? plan.range : undefined;
    const sent = range
      ? {
          ...headers,
          'Content-Range': `bytes ${range.start}-${range.end}/${file.size}`,
          'Content-Length': String(range.end - range.start + 1),
        }
      : { ...headers, 'Content-Length': String(file.size) };
    // Hono answers HEAD by running this GET handler and dropping the body unread: a stream
    // opened for it would hold its file descriptor open with nobody to close it.
    if (c.req.method === 'HEAD') return c.body(null, plan.status, sent);
    const stream = Readable.toWeb(await file.open(range)) as ReadableStream<Uint8Array>;
    return c.body(stream, plan.status, sent);
  });

  return app;
}
