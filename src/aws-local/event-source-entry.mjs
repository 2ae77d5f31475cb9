// Worker-thread entry for the SQS event source. Worker threads do not inherit tsx's loader,
// so when running from TypeScript sources this registers it first; dist/ loads the .js.
import { existsSync } from 'node:fs';

const compiled = new URL('./event-source-worker.js', import.meta.url);
if (existsSync(compiled)) await import(compiled.href);
else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('./event-source-worker.ts', import.meta.url).href);
}
