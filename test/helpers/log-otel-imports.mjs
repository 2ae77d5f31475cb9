// Preloaded with `node --import` into a spawned server: every @opentelemetry module the
// server resolves is appended to the file in OTEL_IMPORT_LOG, so that a test can tell
// whether the SDK was loaded at all. A resolve hook sees every import, static or dynamic.
import { register } from 'node:module';

const hook = `
import { appendFileSync } from 'node:fs';
let log;
export function initialize(data) { log = data.log; }
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  if (resolved.url.includes('/@opentelemetry/')) appendFileSync(log, resolved.url + '\\n');
  return resolved;
}
`;
register(`data:text/javascript,${encodeURIComponent(hook)}`, {
  parentURL: import.meta.url,
  data: { log: process.env.OTEL_IMPORT_LOG },
});
