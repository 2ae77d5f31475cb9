import { generateApiKey, hashApiKey } from '../core/api-keys.ts';
import type { KeyStore } from '../ports/key-store.ts';

export const ADMIN_KEY_ID = 'admin';

/**
 * Makes sure an admin key exists. API_KEY from the environment wins (and replaces an older
 * one); otherwise a key is generated once and returned so the caller can show it once.
 * Only its hash is stored.
 */
export async function ensureAdminKey(
  keys: KeyStore,
  options: { apiKey?: string; now: number; rateLimitRps: number; rateLimitBurst: number },
): Promise<{ generated?: string }> {
  const existing = await keys.get(ADMIN_KEY_ID);
  if (!options.apiKey && existing) return {};
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
  return options.apiKey ? {} : { generated: apiKey };
}
