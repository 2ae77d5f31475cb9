import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOMES, type RunningHome } from './helpers/homes.ts';

const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const API_KEY = 'readme-walkthrough-key-0123';

/** The runnable block between the walkthrough markers, without its fences. */
function walkthroughScript(): string {
  const block = /<!-- walkthrough:start[^>]*-->\s*```bash\n([\s\S]*?)```\s*<!-- walkthrough:end -->/.exec(
    README,
  );
  if (!block?.[1]) throw new Error('README.md has no walkthrough block between the markers');
  return block[1];
}

/**
 * The outputs the README promises: each `# {…}` (JSON) or `# 200` (a status code) comment,
 * without the prose after it. `…` stands for whatever differs per run (ids).
 */
function promisedOutputs(script: string): RegExp[] {
  return script
    .split('\n')
    .filter((line) => /^# (\{|\d{3}\b)/.test(line))
    .map((line) => line.slice(2).split(/\s{2,}/)[0] as string)
    .map((json) => new RegExp(`^${json.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replaceAll('…', '[^"]+')}$`));
}

describe.each(HOMES)('README walkthrough against $name', (home) => {
  let server: RunningHome;
  let workDir: string;

  beforeAll(async () => {
    // As a reader runs it: from a folder holding the repository's test photo.
    workDir = mkdtempSync(join(tmpdir(), 'imgapi-readme-cwd-'));
    mkdirSync(join(workDir, 'test/fixtures'), { recursive: true });
    copyFileSync(
      new URL('./fixtures/chelsea.jpg', import.meta.url),
      join(workDir, 'test/fixtures/chelsea.jpg'),
    );
    // The default server, every analysis on (on AWS: the offline models in the process function).
    if (home.available) server = await home.start({ API_KEY, ANALYSIS: 'all' });
  }, 180_000);

  afterAll(async () => {
    await server?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  it.skipIf(!home.available)(
    'runs as written with curl and jq, printing what the README says it prints',
    async () => {
      const script = walkthroughScript();
      const { stdout } = await promisify(execFile)('bash', ['-euo', 'pipefail', '-c', script], {
        cwd: workDir,
        env: { ...process.env, API_URL: server.api.baseUrl, API_KEY },
        timeout: 90_000,
      });
      const printed = stdout.trim().split('\n');
      // Rekognition (a deployed stack's default) names more labels than the offline models.
      const promised = promisedOutputs(script).map((pattern) =>
        home.name === 'deployed' && pattern.source.includes('labels')
          ? new RegExp(pattern.source.replace(/"labels":.*\}\$$/, '"labels":\\[[^\\]]*"Cat"[^\\]]*\\]\\}$'))
          : pattern,
      );
      expect(promised.length).toBeGreaterThanOrEqual(6);
      expect(printed).toHaveLength(promised.length);
      promised.forEach((pattern, i) => {
        expect(printed[i]).toMatch(pattern);
      });

      const thumbnail = await sharp(join(workDir, 'chelsea-small.jpg')).metadata();
      expect([thumbnail.format, thumbnail.width, thumbnail.height]).toEqual(['jpeg', 150, 100]);
    },
    120_000,
  );
});
