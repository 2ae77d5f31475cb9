import type { MiddlewareHandler } from 'hono';
import { MethodNotAllowedError } from '../core/errors.ts';

interface RouteEntry {
  method: string;
  path: string;
}

interface PathMethods {
  pattern: RegExp;
  /** A path without parameters wins over a parameterised one (`/images/upload` over `/images/:imageId`). */
  literal: boolean;
  methods: Set<string>;
}

/** What a router table (Hono's `app.routes`) allows on each path; middleware (`ALL`) is not a route. */
function pathTable(routes: readonly RouteEntry[]): PathMethods[] {
  const byPath = new Map<string, PathMethods>();
  for (const { method, path } of routes) {
    if (method === 'ALL' || path.includes('*')) continue;
    let entry = byPath.get(path);
    if (!entry) {
      const source = path
        .split('/')
        .map((part) => (part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
        .join('/');
      entry = { pattern: new RegExp(`^${source}$`), literal: !path.includes(':'), methods: new Set() };
      byPath.set(path, entry);
    }
    entry.methods.add(method);
    if (method === 'GET') entry.methods.add('HEAD');
  }
  return [...byPath.values()];
}

/** The methods a path allows, or undefined when no route has that path at all. */
function allowedMethods(table: readonly PathMethods[], path: string): Set<string> | undefined {
  const matches = table.filter((entry) => entry.pattern.test(path));
  const literal = matches.find((entry) => entry.literal);
  if (literal) return literal.methods;
  if (matches.length === 0) return undefined;
  return new Set(matches.flatMap((entry) => [...entry.methods]));
}

/**
 * 405 with `Allow` for a method the path does not support, before authentication: a client
 * that sends `GET /images/upload` learns it must POST, instead of being told that "upload" is
 * not a UUID. The table is read from the router on first use, once every route is mounted.
 */
export function methodNotAllowed(routes: () => readonly RouteEntry[]): MiddlewareHandler {
  let table: PathMethods[] | undefined;
  return async (c, next) => {
    table ??= pathTable(routes());
    const allowed = allowedMethods(table, c.req.path);
    if (allowed && !allowed.has(c.req.method)) {
      throw new MethodNotAllowedError(c.req.method, c.req.path, [...allowed]);
    }
    await next();
  };
}
