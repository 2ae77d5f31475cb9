// Worker-thread entry for piscina. Worker threads do not inherit tsx's loader from the main
// thread, so when running from TypeScript sources this registers it before loading the
// processor; a compiled build (dist/) loads the .js directly.
import { existsSync } from 'node:fs';

const compiled = new URL('./process-worker.js', import.meta.url);
let target = compiled;
if (!existsSync(compiled)) {
  const { register } = await import('tsx/esm/api');
  register();
  target = new URL('./process-worker.ts', import.meta.url);
}
const processor = await import(target.href);

export default processor.default;
