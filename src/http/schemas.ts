import { z } from '@hono/zod-openapi';
import { ANALYSES, EMOTION_TYPES } from '../core/analysis.ts';
import { ALLOWED_TYPES, IMAGE_STATUSES, STEP_NAMES } from '../core/image.ts';
import { MAX_STATUS_WAIT_SECONDS } from '../core/images.ts';
import { DELIVERY_STATUSES, WEBHOOK_EVENTS } from '../core/webhooks.ts';

// Control characters (C0, DEL, C1) and bidi overrides have no business in a file name and
// are a classic way to make a name display differently from what it is.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const UNSAFE_NAME_CHARS = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

export const UploadRequestSchema = z
  .object({
    fileName: z
      .string({ error: 'fileName: expected a string' })
      .min(1, 'fileName: must not be empty')
      .max(255, 'fileName: must be at most 255 characters')
      .refine(
        (v) => !UNSAFE_NAME_CHARS.test(v),
        'fileName: must not contain control or bidi-override characters',
      )
      .openapi({ example: 'test.jpg' }),
    fileType: z
      .enum(ALLOWED_TYPES, {
        error: (issue) =>
          `fileType: expected one of ${ALLOWED_TYPES.join(', ')} but received ${JSON.stringify(issue.input)}`,
      })
      .openapi({ example: 'image/jpeg' }),
    analysis: z
      .array(
        z.enum(ANALYSES, {
          error: (issue) =>
            `expected one of ${ANALYSES.join(', ')} but received ${JSON.stringify(issue.input)}`,
        }),
        { error: `analysis: expected an array of ${ANALYSES.join(', ')}` },
      )
      .max(ANALYSES.length, `analysis: at most ${ANALYSES.length} entries`)
      .transform((names) => ANALYSES.filter((name) => names.includes(name)))
      .optional()
      .openapi({
        description:
          'Analyses to run on this image (default: every analysis the server enables; [] for none)',
        example: ['objects', 'faces'],
      }),
  })
  .openapi('UploadRequest');

export const UploadResponseSchema = z
  .object({
    imageId: z.uuid(),
    uploadUrl: z.url(),
    expiresIn: z.number().int(),
    fields: z.record(z.string(), z.string()),
  })
  .openapi('UploadResponse');

export const ImageIdParamSchema = z.object({
  imageId: z.uuid({ error: 'imageId: expected a UUID' }).openapi({ param: { name: 'imageId', in: 'path' } }),
});

const searchTerm = (field: string, min: number) =>
  z
    .string()
    .trim()
    .min(min, `${field}: expected ${min === 1 ? 'a non-empty string' : `at least ${min} characters`}`)
    .max(200, `${field}: must be at most 200 characters`)
    .optional();

export const ListQuerySchema = z.object({
  limit: z.coerce
    .number({ error: 'limit: expected an integer from 1 to 100' })
    .int('limit: expected an integer from 1 to 100')
    .min(1, 'limit: expected an integer from 1 to 100')
    .max(100, 'limit: expected an integer from 1 to 100')
    .default(10)
    .openapi({ param: { name: 'limit', in: 'query' }, example: 10 }),
  lastEvaluatedKey: z
    .string()
    .optional()
    .openapi({ param: { name: 'lastEvaluatedKey', in: 'query' } }),
  status: z
    .enum(IMAGE_STATUSES, { error: `status: expected one of ${IMAGE_STATUSES.join(', ')}` })
    .optional()
    .openapi({ param: { name: 'status', in: 'query' } }),
  label: searchTerm('label', 1).openapi({
    param: { name: 'label', in: 'query' },
    description: 'Only images with this label (exact, case-insensitive), e.g. Cat, Animal, Person, Text',
  }),
  object: searchTerm('object', 1).openapi({
    param: { name: 'object', in: 'query' },
    description: 'Only images where this object was detected (exact, case-insensitive), e.g. Cup',
  }),
  text: searchTerm('text', 3).openapi({
    param: { name: 'text', in: 'query' },
    description:
      'Only images whose recognised text contains this: a case-insensitive substring locally, whole words on AWS (DynamoDB)',
  }),
});

const waitError = `wait: expected an integer from 0 to ${MAX_STATUS_WAIT_SECONDS} (seconds)`;

export const StatusQuerySchema = z.object({
  wait: z.coerce
    .number({ error: waitError })
    .int(waitError)
    .min(0, waitError)
    .max(MAX_STATUS_WAIT_SECONDS, waitError)
    .default(0)
    .openapi({
      param: { name: 'wait', in: 'query' },
      example: 20,
      description:
        'Long poll: hold the request up to this many seconds until the image is completed or failed, then answer at once',
    }),
});

const Thumbnails = z.object({
  small: z.url().nullable(),
  medium: z.url().nullable(),
  large: z.url().nullable(),
});
const Status = z.enum(IMAGE_STATUSES);
const StepState = z.enum(['pending', 'processing', 'completed', 'failed', 'skipped']);
const ErrorInfo = z.object({ code: z.string(), message: z.string() });

/** Fields every image representation shares. */
const ImageFields = {
  imageId: z.uuid(),
  fileName: z.string(),
  fileType: z.string(),
  size: z.number().int().nullable(),
  status: Status,
  uploadedAt: z.iso.datetime().nullable(),
  thumbnails: Thumbnails,
};

export const ListItemSchema = z.object(ImageFields).openapi('ImageSummary');

export const ListResponseSchema = z
  .object({
    images: z.array(ListItemSchema),
    count: z.number().int(),
    lastEvaluatedKey: z.string().optional(),
  })
  .openapi('ImageList');

const Exif = z.object({
  make: z.string().nullable(),
  model: z.string().nullable(),
  lens: z.string().nullable(),
  takenAt: z.string().nullable(),
  exposureTime: z.number().nullable(),
  fNumber: z.number().nullable(),
  iso: z.number().nullable(),
  focalLength: z.number().nullable(),
  gps: z.object({ latitude: z.number(), longitude: z.number() }).nullable(),
});

const Box = z.object({ left: z.number(), top: z.number(), width: z.number(), height: z.number() });
const Confidence = z.number().min(0).max(100);

const AnalysisSchema = z
  .object({
    labels: z.array(z.string()),
    labelDetails: z.array(
      z.object({ name: z.string(), confidence: Confidence, parents: z.array(z.string()) }),
    ),
    objects: z.array(z.object({ name: z.string(), confidence: Confidence, boundingBox: Box })),
    confidence: Confidence.nullable(),
    faces: z.number().int(),
    faceDetails: z.array(
      z.object({
        boundingBox: Box,
        confidence: Confidence,
        ageRange: z.object({ low: z.number(), high: z.number() }).nullable(),
        gender: z.object({ value: z.enum(['Male', 'Female']), confidence: Confidence }).nullable(),
        emotions: z.array(z.object({ type: z.enum(EMOTION_TYPES), confidence: Confidence })),
      }),
    ),
    moderationLabels: z.array(z.object({ name: z.string(), confidence: Confidence, parentName: z.string() })),
    text: z.array(z.object({ text: z.string(), confidence: Confidence, boundingBox: Box })),
    celebrities: z.array(z.object({ name: z.string(), confidence: Confidence })),
    models: z.record(z.string(), z.string()),
    errors: z.array(z.object({ step: z.enum(ANALYSES), code: z.string(), message: z.string() })),
  })
  .openapi('Analysis');

export const ImageDetailSchema = z
  .object({
    ...ImageFields,
    downloadUrl: z.url().nullable(),
    webpUrl: z.url().nullable(),
    metadata: z
      .object({
        width: z.number().int(),
        height: z.number().int(),
        format: z.string(),
        size: z.number().int(),
        hasAlpha: z.boolean(),
        orientation: z.number().int(),
        exif: Exif.nullable(),
      })
      .nullable(),
    placeholder: z.object({ thumbhash: z.string(), dominantColor: z.string() }).nullable(),
    analysis: AnalysisSchema.nullable(),
    processedAt: z.iso.datetime().nullable(),
    expiresAt: z.iso.datetime().nullable(),
  })
  .openapi('Image');

export const StatusResponseSchema = z
  .object({
    imageId: z.uuid(),
    status: Status,
    progress: z.number().int().min(0).max(100),
    steps: z.object(
      Object.fromEntries(STEP_NAMES.map((name) => [name, StepState])) as Record<
        (typeof STEP_NAMES)[number],
        typeof StepState
      >,
    ),
    attempts: z.number().int(),
    message: z.string(),
    error: ErrorInfo.optional(),
    startedAt: z.iso.datetime().nullable(),
    estimatedCompletion: z.iso.datetime().nullable(),
    updatedAt: z.iso.datetime(),
  })
  .openapi('ImageStatus');

export const DeleteResponseSchema = z.object({ message: z.string(), imageId: z.uuid() }).openapi('Deleted');

export const ErrorSchema = z.object({ error: ErrorInfo }).openapi('Error');

const positiveInt = (field: string, max: number) =>
  z
    .number({ error: `${field}: expected an integer from 1 to ${max}` })
    .int(`${field}: expected an integer from 1 to ${max}`)
    .min(1, `${field}: expected an integer from 1 to ${max}`)
    .max(max, `${field}: expected an integer from 1 to ${max}`);

export const CreateKeyRequestSchema = z
  .object({
    name: z
      .string({ error: 'name: expected a string' })
      .min(1, 'name: must not be empty')
      .max(100, 'name: must be at most 100 characters')
      .refine((v) => !UNSAFE_NAME_CHARS.test(v), 'name: must not contain control characters'),
    rateLimit: z
      .object({
        rps: positiveInt('rateLimit.rps', 100_000),
        burst: positiveInt('rateLimit.burst', 1_000_000),
      })
      .optional(),
    dailyQuota: z
      .number({ error: 'dailyQuota: expected a non-negative integer (0 = unlimited)' })
      .int('dailyQuota: expected a non-negative integer (0 = unlimited)')
      .min(0, 'dailyQuota: expected a non-negative integer (0 = unlimited)')
      .optional(),
  })
  .openapi('CreateKeyRequest');

export const KeySchema = z
  .object({
    keyId: z.string(),
    name: z.string(),
    admin: z.boolean(),
    rateLimit: z.object({ rps: z.number(), burst: z.number() }),
    dailyQuota: z.number(),
    createdAt: z.iso.datetime(),
    revokedAt: z.iso.datetime().nullable(),
  })
  .openapi('ApiKey');

export const CreatedKeySchema = z
  .object({ keyId: z.string(), apiKey: z.string(), name: z.string(), createdAt: z.iso.datetime() })
  .openapi('CreatedApiKey');

export const KeyIdParamSchema = z.object({
  keyId: z
    .string()
    .max(64)
    .openapi({ param: { name: 'keyId', in: 'path' } }),
});

export const CreateWebhookRequestSchema = z
  .object({
    url: z
      .string({ error: 'url: expected a string' })
      .max(2048, 'url: must be at most 2048 characters')
      .openapi({ example: 'https://example.com/hooks/images' }),
    events: z
      .array(
        z.enum(WEBHOOK_EVENTS, {
          error: (issue) =>
            `events: expected one of ${WEBHOOK_EVENTS.join(', ')} but received ${JSON.stringify(issue.input)}`,
        }),
        { error: `events: expected an array of ${WEBHOOK_EVENTS.join(', ')}` },
      )
      .min(1, 'events: expected at least one event')
      .max(WEBHOOK_EVENTS.length, `events: at most ${WEBHOOK_EVENTS.length} entries`)
      .transform((names) => WEBHOOK_EVENTS.filter((name) => names.includes(name)))
      .openapi({ example: ['image.completed', 'image.failed'] }),
  })
  .openapi('CreateWebhookRequest');

export const WebhookSchema = z
  .object({
    webhookId: z.string(),
    url: z.string(),
    events: z.array(z.enum(WEBHOOK_EVENTS)),
    createdAt: z.iso.datetime(),
  })
  .openapi('Webhook');

export const CreatedWebhookSchema = WebhookSchema.extend({
  secret: z.string().openapi({
    description: 'Standard Webhooks signing secret (whsec_…); shown only here',
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  }),
}).openapi('CreatedWebhook');

export const WebhookDeliverySchema = z
  .object({
    deliveryId: z.string().openapi({ description: 'The webhook-id header of every attempt' }),
    type: z.enum(WEBHOOK_EVENTS),
    imageId: z.string(),
    status: z.enum(DELIVERY_STATUSES),
    attempts: z.number().int(),
    lastResponseStatus: z.number().int().nullable(),
    lastError: z.string().nullable(),
    nextAttemptAt: z.iso.datetime().nullable(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .openapi('WebhookDelivery');

export const WebhookIdParamSchema = z.object({
  webhookId: z
    .string()
    .max(64)
    .openapi({ param: { name: 'webhookId', in: 'path' } }),
});
