export interface ApiKeyRecord {
  keyId: string;
  name: string;
  tenant: string;
  admin: boolean;
  /** Token bucket: sustained requests per second and burst size. */
  rateLimitRps: number;
  rateLimitBurst: number;
  /** Requests per UTC day; 0 means unlimited. */
  dailyQuota: number;
  createdAt: number;
  revokedAt: number | null;
}

/** API keys, stored only as SHA-256 hashes. */
export interface KeyStore {
  /** Inserts or replaces the key with this id (used for the admin key from the environment). */
  put(record: ApiKeyRecord, keyHash: string): Promise<void>;
  findByHash(keyHash: string): Promise<ApiKeyRecord | null>;
  get(keyId: string): Promise<ApiKeyRecord | null>;
  list(): Promise<ApiKeyRecord[]>;
  revoke(keyId: string, now: number): Promise<boolean>;
  /** Counts one request against today's quota; returns the count after it. */
  countRequest(keyId: string, day: string): Promise<number>;
}
