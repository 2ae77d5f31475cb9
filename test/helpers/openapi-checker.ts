import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { expect } from 'vitest';

interface Operation {
  responses: Record<string, { content?: Record<string, unknown> }>;
}
type OpenApiDocument = { paths: Record<string, Record<string, Operation>> };

/** `/images/{imageId}` → a regex for real paths; a literal path is tried first. */
function templates(doc: OpenApiDocument) {
  return Object.keys(doc.paths)
    .map((template) => ({
      template,
      literal: !template.includes('{'),
      pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
    }))
    .sort((a, b) => Number(b.literal) - Number(a.literal));
}

const pointer = (...parts: string[]) =>
  parts.map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');

/**
 * Checks real responses against the OpenAPI document the server serves: the status must be
 * documented for that operation, and a JSON body must match its schema (with the error
 * codes listed per status). Schemas are compiled from the document itself, so `$ref`s
 * to components resolve as a client generator would resolve them.
 */
export class OpenApiChecker {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly paths;
  readonly checked = new Set<string>();

  constructor(readonly doc: OpenApiDocument) {
    addFormats.default(this.ajv);
    this.ajv.addSchema(doc, 'openapi');
    this.paths = templates(doc);
  }

  /** Asserts one response; `url` is the full or path-only URL that was called. */
  async check(method: string, url: string, res: { status: number; headers: Headers; body: unknown }) {
    const path = new URL(url, 'http://x').pathname;
    const template = this.paths.find((t) => t.pattern.test(path))?.template;
    const where = `${method} ${path} → ${res.status}`;
    expect(template, `${where}: path not in the document`).toBeDefined();
    const operation = this.doc.paths[template as string]?.[method.toLowerCase()];
    expect(operation, `${where}: method not in the document`).toBeDefined();
    const response = operation?.responses[String(res.status)];
    expect(response, `${where}: status not documented`).toBeDefined();
    this.checked.add(`${method} ${template} ${res.status}`);
    const type = res.headers.get('content-type')?.split(';')[0] ?? '';
    if (res.status === 304 || res.status === 204) return;
    expect(Object.keys(response?.content ?? {}), `${where}: content type ${type} not documented`).toContain(
      type,
    );
    if (type !== 'application/json') return;
    const ref = `openapi#/${pointer('paths', template as string, method.toLowerCase(), 'responses', String(res.status), 'content', type, 'schema')}`;
    const validate = this.ajv.getSchema(ref);
    expect(validate, `${where}: no schema`).toBeDefined();
    const valid = validate?.(res.body);
    expect(valid, `${where}: ${JSON.stringify(validate?.errors)}\n${JSON.stringify(res.body)}`).toBe(true);
  }
}
