import { OpenAPIHono } from '@hono/zod-openapi';
import type { Env } from 'hono';
import { validationError } from './errors.ts';

/** An OpenAPIHono whose validation failures become our 400 shape, naming the field. */
export function createRouter<E extends Env>() {
  return new OpenAPIHono<E>({
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.error, result.target);
    },
  });
}
