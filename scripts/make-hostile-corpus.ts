import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostileCorpus } from './hostile-corpus.ts';

/**
 * Writes the hostile/odd corpus to a directory (default ./corpus) with a manifest, so it can
 * be replayed with curl against any deployment: `npm run corpus -- /tmp/corpus`.
 */
const dir = process.argv[2] ?? 'corpus';
mkdirSync(dir, { recursive: true });
const cases = hostileCorpus({ maxPixels: 100_000_000, maxUploadBytes: 25 * 1024 * 1024 });
const manifest = [];
for (const [index, item] of cases.entries()) {
  const file = `${String(index + 1).padStart(2, '0')}-${item.name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.bin`;
  writeFileSync(join(dir, file), await item.bytes());
  manifest.push({
    file,
    name: item.name,
    fileName: item.fileName,
    fileType: item.fileType,
    putType: item.putType ?? item.fileType,
    expect: item.expect,
  });
}
writeFileSync(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`wrote ${cases.length} files and manifest.json to ${dir}`);
