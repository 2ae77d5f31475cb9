import { generateApiKey, generateKeyId, hashApiKey } from '../../core/api-keys.ts';
import type { ApiKeyRecord, CreateKeyInput, KeyAuthenticator, KeyStore } from '../../ports/key-store.ts';
import type { SqliteDatabase } from './sqlite-database.ts';

interface KeyRow {
  key_id: string;
  name: string;
  tenant: string;
  admin: number;
  rate_limit_rps: number;
  rate_limit_burst: number;
  daily_quota: number;
  created_at: number;
  revoked_at: number | null;
}

const toRecord = (row: KeyRow): ApiKeyRecord => ({
  keyId: row.key_id,
  name: row.name,
  tenant: row.tenant,
  admin: row.admin === 1,
  rateLimitRps: row.rate_limit_rps,
  rateLimitBurst: row.rate_limit_burst,
  dailyQuota: row.daily_quota,
  createdAt: row.created_at,
  revokedAt: row.revoked_at,
});

const COLUMNS =
  'key_id, name, tenant, admin, rate_limit_rps, rate_limit_burst, daily_quota, created_at, revoked_at';

/**
 * Every request looks its key up: found keys are kept in memory for a few seconds. Writes go
 * through this store in this process (one server owns a DATA_DIR) and clear the cache, so a
 * revoked or replaced key stops working at once; the expiry only bounds how long an edit
 * made to the database behind the server's back goes unseen.
 */
const KEY_CACHE_MS = 5_000;
const KEY_CACHE_MAX = 10_000;

/** API keys in SQLite. Only hashes are stored; the plaintext is shown once at creation. */
export class SqliteKeyStore implements KeyStore, KeyAuthenticator {
  private readonly stmt;
  /** Only keys that exist: a flood of made-up keys must not grow it. */
  private readonly cache = new Map<string, { record: ApiKeyRecord; until: number }>();

  constructor(db: SqliteDatabase) {
    this.stmt = {
      put: db.prepare(
        `INSERT INTO api_keys (key_id, key_hash, name, tenant, admin, rate_limit_rps, rate_limit_burst, daily_quota, created_at)
         VALUES (@keyId, @keyHash, @name, @tenant, @admin, @rateLimitRps, @rateLimitBurst, @dailyQuota, @createdAt)
         ON CONFLICT (key_id) DO UPDATE SET key_hash = excluded.key_hash, name = excluded.name,
           rate_limit_rps = excluded.rate_limit_rps, rate_limit_burst = excluded.rate_limit_burst,
           daily_quota = excluded.daily_quota, revoked_at = NULL`,
      ),
      byHash: db.prepare<[string], KeyRow>(`SELECT ${COLUMNS} FROM api_keys WHERE key_hash = ?`),
      byId: db.prepare<[string], KeyRow>(`SELECT ${COLUMNS} FROM api_keys WHERE key_id = ?`),
      list: db.prepare<[], KeyRow>(`SELECT ${COLUMNS} FROM api_keys ORDER BY created_at, key_id`),
      revoke: db.prepare<[number, string]>(
        'UPDATE api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL',
      ),
      count: db.prepare<[string, string], { count: number }>(
        `INSERT INTO key_usage (key_id, day, count) VALUES (?, ?, 1)
         ON CONFLICT (key_id, day) DO UPDATE SET count = count + 1 RETURNING count`,
      ),
    };
  }

  async create(input: CreateKeyInput): Promise<{ record: ApiKeyRecord; apiKey: string }> {
    const apiKey = generateApiKey();
    const keyId = generateKeyId();
    const record: ApiKeyRecord = {
      keyId,
      name: input.name,
      tenant: keyId,
      admin: false,
      rateLimitRps: input.rateLimitRps,
      rateLimitBurst: input.rateLimitBurst,
      dailyQuota: input.dailyQuota,
      createdAt: input.now,
      revokedAt: null,
    };
    await this.put(record, hashApiKey(apiKey));
    return { record, apiKey };
  }

  /**
   * Inserts or replaces the key with this id: local only (not on the port), for the admin
   * key that API_KEY sets or a first start generates.
   */
  async put(record: ApiKeyRecord, keyHash: string): Promise<void> {
    this.stmt.put.run({ ...record, keyHash, admin: record.admin ? 1 : 0 });
    this.cache.clear();
  }

  async findByHash(keyHash: string): Promise<ApiKeyRecord | null> {
    const now = performance.now();
    const cached = this.cache.get(keyHash);
    if (cached && cached.until > now) return cached.record;
    const row = this.stmt.byHash.get(keyHash);
    if (!row) return null;
    const record = toRecord(row);
    if (this.cache.size >= KEY_CACHE_MAX) this.cache.clear();
    this.cache.set(keyHash, { record, until: now + KEY_CACHE_MS });
    return record;
  }

  async get(keyId: string): Promise<ApiKeyRecord | null> {
    const row = this.stmt.byId.get(keyId);
    return row ? toRecord(row) : null;
  }

  async list(): Promise<ApiKeyRecord[]> {
    return this.stmt.list.all().map(toRecord);
  }

  async revoke(keyId: string, now: number): Promise<boolean> {
    this.cache.clear();
    return this.stmt.revoke.run(now, keyId).changes === 1;
  }

  async countRequest(keyId: string, day: string): Promise<number> {
    return (this.stmt.count.get(keyId, day) as { count: number }).count;
  }
}
