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

/** A key's limits: what a usage plan holds on AWS, what the token bucket applies locally. */
export interface KeyLimits {
  rateLimitRps: number;
  rateLimitBurst: number;
  /** Requests per UTC day; 0 means unlimited. */
  dailyQuota: number;
}

export interface CreateKeyInput extends KeyLimits {
  name: string;
  now: number;
}

/**
 * API keys as the admin routes manage them, in both homes. The store generates each secret
 * and returns it once, from `create`; nothing else ever returns it. Each key is its own
 * tenant (tenant = keyId).
 */
export interface KeyStore {
  create(input: CreateKeyInput): Promise<{ record: ApiKeyRecord; apiKey: string }>;
  get(keyId: string): Promise<ApiKeyRecord | null>;
  list(): Promise<ApiKeyRecord[]>;
  /** False for an unknown or already revoked key. */
  revoke(keyId: string, now: number): Promise<boolean>;
}

/**
 * Checks a presented key and counts its requests: the local home only. On AWS, API Gateway
 * does both (usage plans) before a Lambda runs, which then sees only the key's id.
 */
export interface KeyAuthenticator {
  findByHash(keyHash: string): Promise<ApiKeyRecord | null>;
  /** Counts one request against today's quota; returns the count after it. */
  countRequest(keyId: string, day: string): Promise<number>;
}
