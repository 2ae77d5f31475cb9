import type { SqliteKeyStore } from '../adapters/local/sqlite-key-store.ts';
import { generateApiKey, hashApiKey } from '../core/api-keys.ts';

export const ADMIN_KEY_ID = 'admin';

/** Where this start's admin key came from, so the caller can tell the owner what to use. */
export type AdminKeyOrigin =
  | { source: 'env' }
  | { source: 'generated'; apiKey: string }
  | { source: 'stored'; createdAt: number };

/**
 * Makes sure an admin key exists. API_KEY from the environment wins (and replaces an older
 * one); otherwise a key is generated once and returned so the caller can show it once.
 * Only its hash is stored.
 */
export async function ensureAdminKey(
  keys: SqliteKeyStore,
  options: { apiKey?: string; now: number; rateLimitRps: number; rateLimitBurst: number },
): Promise<AdminKeyOrigin> {
  const existing = await keys.get(ADMIN_KEY_ID);
  if (!options.apiKey && existing) return { source: 'stored', createdAt: existing.createdAt };
  const apiKey = options.apiKey ?? generateApiKey();
  await keys.put(
    {
      keyId: ADMIN_KEY_ID,
      name: 'admin',
      tenant: ADMIN_KEY_ID,
      admin: true,
      rateLimitRps: options.rateLimitRps,
      rateLimitBurst: options.rateLimitBurst,
      dailyQuota: 0,
      createdAt: existing?.createdAt ?? options.now,
      revokedAt: null,
    },
    hashApiKey(apiKey),
  );
  return options.apiKey ? { source: 'env' } : { source: 'generated', apiKey };
}
