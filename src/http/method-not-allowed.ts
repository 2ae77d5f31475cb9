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
 * Which methods each path allows, read from the router (Hono's `app.routes`) on first use,
 * once every route is mounted. Consulted only on the error paths (no route matched, or a
 * route refused the request as a 400/404), never per request: a client that sends
 * `GET /images/upload` learns it must POST instead of being told "upload" is not a UUID.
 */
export class AllowedMethods {
  private table: PathMethods[] | undefined;

  constructor(private readonly routes: () => readonly RouteEntry[]) {}

  /** A 405 for this request if its path exists with other methods only, else undefined. */
  refuse(method: string, path: string): MethodNotAllowedError | undefined {
    this.table ??= pathTable(this.routes());
    const allowed = allowedMethods(this.table, path);
    return allowed && !allowed.has(method)
      ? new MethodNotAllowedError(method, path, [...allowed])
      : undefined;
  }
}
