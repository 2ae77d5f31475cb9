import { createRoute } from '@hono/zod-openapi';
import type { CoreDeps } from '../../core/deps.ts';
import { isFinished } from '../../core/image.ts';
import { awaitFinished, deleteImage, getImage, listImages } from '../../core/images.ts';
import { createUpload } from '../../core/upload.ts';
import { downloadExpiry } from '../../core/url-expiry.ts';
import type { AuthVariables } from '../auth.ts';
import { errorResponses, JSON_BODY_ERRORS, json, keyedErrors, security } from '../openapi.ts';
import { presentImage, presentListItem, presentStatus } from '../presenters.ts';
import type { RequestVariables } from '../request-context.ts';
import { jsonText, type ResponseCache } from '../response-cache.ts';
import { createRouter } from '../router.ts';
import {
  DeleteResponseSchema,
  ImageDetailSchema,
  ImageIdParamSchema,
  ListQuerySchema,
  ListResponseSchema,
  StatusQuerySchema,
  StatusResponseSchema,
  UploadRequestSchema,
  UploadResponseSchema,
} from '../schemas.ts';

/** Routes on one image: a malformed id is 400, another tenant's or a deleted image 404. */
const oneImageErrors = errorResponses(keyedErrors({ 400: ['VALIDATION_ERROR'], 404: ['NOT_FOUND'] }));

const uploadRoute = createRoute({
  method: 'post',
  path: '/images/upload',
  summary: 'Create an image record and a signed upload URL',
  security,
  request: { body: { ...json(UploadRequestSchema, 'File name and type'), required: true } },
  responses: {
    200: json(UploadResponseSchema, 'Signed URL to PUT the bytes to'),
    ...errorResponses(
      keyedErrors({ 400: ['VALIDATION_ERROR', 'INVALID_JSON', 'ANALYSIS_NOT_ENABLED'], ...JSON_BODY_ERRORS }),
    ),
  },
});

const listRoute = createRoute({
  method: 'get',
  path: '/images',
  summary: 'List images, newest first',
  security,
  request: { query: ListQuerySchema },
  responses: {
    200: json(ListResponseSchema, 'A page of images; count is the number on this page, not a total'),
    ...errorResponses(keyedErrors({ 400: ['VALIDATION_ERROR', 'INVALID_CURSOR'] })),
  },
});

const getRoute = createRoute({
  method: 'get',
  path: '/images/{imageId}',
  summary: 'Get an image with signed URLs, metadata and analysis',
  security,
  request: { params: ImageIdParamSchema },
  responses: { 200: json(ImageDetailSchema, 'The image'), ...oneImageErrors },
});

const statusRoute = createRoute({
  method: 'get',
  path: '/images/{imageId}/status',
  summary: 'Processing status, per step; `wait` long-polls until the image has finished',
  security,
  request: { params: ImageIdParamSchema, query: StatusQuerySchema },
  responses: { 200: json(StatusResponseSchema, 'Processing status'), ...oneImageErrors },
});

const deleteRoute = createRoute({
  method: 'delete',
  path: '/images/{imageId}',
  summary: 'Delete an image, its files and queued jobs',
  security,
  request: { params: ImageIdParamSchema },
  responses: { 200: json(DeleteResponseSchema, 'Deleted'), ...oneImageErrors },
});

/** The `/images` routes; authentication is applied by the app before these run. */
export function imageRoutes(deps: CoreDeps, cache: ResponseCache) {
  // Bodies carry signed URLs: they are the same only within one expiry window.
  const urlWindow = () => downloadExpiry(deps.clock.now(), deps.settings.downloadUrlTtlSeconds);

  const app = createRouter<{ Variables: AuthVariables & RequestVariables }>();

  app.openapi(uploadRoute, async (c) => {
    const created = await createUpload(deps, c.get('apiKey').tenant, c.req.valid('json'));
    // The request log line names the image this request created.
    c.set('imageId', created.imageId);
    return c.json({ ...created, fields: {} }, 200);
  });

  app.openapi(listRoute, async (c) => {
    const query = c.req.valid('query');
    const tenant = c.get('apiKey').tenant;
    const key = `list\n${tenant}\n${urlWindow()}\n${JSON.stringify(query)}`;
    const body = await cache.anyImage(key, async () => {
      const page = await listImages(deps, tenant, {
        limit: query.limit,
        cursor: query.lastEvaluatedKey,
        status: query.status,
        label: query.label,
        object: query.object,
        text: query.text,
      });
      const images = await Promise.all(page.images.map((record) => presentListItem(deps, record)));
      const list = { images, count: images.length };
      return page.lastEvaluatedKey ? { ...list, lastEvaluatedKey: page.lastEvaluatedKey } : list;
    });
    return jsonText(c, body);
  });

  app.openapi(getRoute, async (c) => {
    const tenant = c.get('apiKey').tenant;
    const { imageId } = c.req.valid('param');
    const key = `image\n${tenant}\n${urlWindow()}\n${imageId}`;
    const body = await cache.image(key, imageId, async () =>
      presentImage(deps, await getImage(deps, tenant, imageId)),
    );
    return jsonText(c, body);
  });

  app.openapi(statusRoute, async (c) => {
    const { imageId } = c.req.valid('param');
    const record = await awaitFinished(deps, c.get('apiKey').tenant, imageId, c.req.valid('query').wait);
    const typical = isFinished(record.status) ? null : await deps.repo.recentProcessingMillis();
    return c.json(presentStatus(record, typical, deps.clock.now()), 200);
  });

  app.openapi(deleteRoute, async (c) => {
    const { imageId } = c.req.valid('param');
    await deleteImage(deps, c.get('apiKey').tenant, imageId);
    return c.json({ message: 'Image deleted successfully', imageId }, 200);
  });

  return app;
}
