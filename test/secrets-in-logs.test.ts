import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixture } from './helpers/images.ts';
import { spawnServer } from './helpers/process.ts';
import { ADMIN_KEY, putBytes } from './helpers/server.ts';

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('Secrets stay out of logs and storage', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'imgapi-secrets-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('never writes API keys, the signing secret or URL signatures to the log or DATA_DIR', async () => {
    const signingSecret = 'a-signing-secret-that-must-never-leak-0123456789';
    const server = await spawnServer({
      DATA_DIR: dataDir,
      LOG_LEVEL: 'trace',
      SIGNING_SECRET: signingSecret,
    });
    try {
      const { api } = server;
      const created = await api.request('POST', '/keys', { name: 'tenant' });
      const tenant = api.withKey(created.body.apiKey);
      const upload = await tenant.createUpload();
      expect((await putBytes(upload.body.uploadUrl, fixture('coffee.jpg'), 'image/jpeg')).status).toBe(200);
      await tenant.waitFor(upload.body.imageId);
      const image = (await tenant.get(`/images/${upload.body.imageId}`)).body;
      await (await fetch(image.downloadUrl)).arrayBuffer();
      await api.withKey('sk_wrong-key-attempt').get('/images');

      const signatures = [upload.body.uploadUrl, image.downloadUrl].map(
        (u) => new URL(u).searchParams.get('signature') as string,
      );
      const secrets = [ADMIN_KEY, created.body.apiKey, signingSecret, 'sk_wrong-key-attempt', ...signatures];
      // Stopped first, so that every line it wrote (the logger writes asynchronously) is read.
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
      const log = server.output();
      expect(log).toContain('job finished');
      expect(log).toContain('stopped cleanly');
      for (const secret of secrets) expect(log).not.toContain(secret);
      for (const file of filesUnder(dataDir)) {
        const bytes = readFileSync(file);
        for (const secret of secrets) expect(bytes.includes(secret), `${secret} in ${file}`).toBe(false);
      }
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });
});
