import {
  type APIGatewayClient,
  type ApiKey,
  CreateApiKeyCommand,
  CreateUsagePlanCommand,
  CreateUsagePlanKeyCommand,
  DeleteApiKeyCommand,
  DeleteUsagePlanCommand,
  GetApiKeyCommand,
  GetApiKeysCommand,
  GetUsagePlanCommand,
  UpdateApiKeyCommand,
} from '@aws-sdk/client-api-gateway';
import { generateApiKey } from '../../core/api-keys.ts';
import type { ApiKeyRecord, CreateKeyInput, KeyLimits, KeyStore } from '../../ports/key-store.ts';
import { callApiGateway, callOrNotFound } from './api-gateway-errors.ts';

export interface ApiGatewayKeyStoreOptions {
  client: APIGatewayClient;
  /** The usage plan (attached to the API's stage) that keys with the default limits join. */
  defaultUsagePlanId: string;
  /** The limits of that plan: a key asking for others gets a usage plan of its own. */
  defaults: KeyLimits;
  /** The key the deployment made for the owner: the only admin. */
  adminKeyId?: string;
}

/**
 * What API Gateway does not hold for a key, kept in its tags (set once, at creation). Their
 * presence also marks a key as ours: other keys in the account and region are not listed.
 */
const TAG = {
  createdAt: 'imgapi:createdAt',
  rateLimitRps: 'imgapi:rateLimitRps',
  rateLimitBurst: 'imgapi:rateLimitBurst',
  dailyQuota: 'imgapi:dailyQuota',
} as const;

/**
 * Revocation is kept in the description: UpdateApiKey can patch it (and `enabled`) on AWS and
 * on moto, while moto's TagResource only tags stages, not keys.
 */
const REVOKED_PREFIX = 'Revoked at ';
const PAGE_SIZE = 500;

/**
 * API keys as API Gateway holds them. The gateway checks keys and applies each key's usage
 * plan (throttle, daily quota) itself; this store only manages them for the admin routes.
 * Secrets are sent once, at creation, and never read back.
 */
export class ApiGatewayKeyStore implements KeyStore {
  private readonly client: APIGatewayClient;
  private readonly options: ApiGatewayKeyStoreOptions;

  constructor(options: ApiGatewayKeyStoreOptions) {
    this.client = options.client;
    this.options = options;
  }

  async create(input: CreateKeyInput): Promise<{ record: ApiKeyRecord; apiKey: string }> {
    const apiKey = generateApiKey();
    const created = await callApiGateway('CreateApiKey', () =>
      this.client.send(
        new CreateApiKeyCommand({
          name: input.name,
          enabled: true,
          value: apiKey,
          tags: {
            [TAG.createdAt]: String(input.now),
            [TAG.rateLimitRps]: String(input.rateLimitRps),
            [TAG.rateLimitBurst]: String(input.rateLimitBurst),
            [TAG.dailyQuota]: String(input.dailyQuota),
          },
        }),
      ),
    );
    const keyId = created.id as string;
    try {
      await this.joinUsagePlan(keyId, input);
    } catch (error) {
      // A key in no usage plan is refused by the gateway: do not leave one behind.
      await this.client.send(new DeleteApiKeyCommand({ apiKey: keyId })).catch(() => {});
      throw error;
    }
    const record: ApiKeyRecord = {
      keyId,
      name: input.name,
      tenant: keyId,
      admin: keyId === this.options.adminKeyId,
      rateLimitRps: input.rateLimitRps,
      rateLimitBurst: input.rateLimitBurst,
      dailyQuota: input.dailyQuota,
      createdAt: input.now,
      revokedAt: null,
    };
    return { record, apiKey };
  }

  async get(keyId: string): Promise<ApiKeyRecord | null> {
    const key = await callOrNotFound('GetApiKey', () =>
      this.client.send(new GetApiKeyCommand({ apiKey: keyId, includeValue: false })),
    );
    return key ? this.toRecord(key) : null;
  }

  async list(): Promise<ApiKeyRecord[]> {
    const records: ApiKeyRecord[] = [];
    let position: string | undefined;
    do {
      const page = await callApiGateway('GetApiKeys', () =>
        this.client.send(new GetApiKeysCommand({ position, limit: PAGE_SIZE, includeValues: false })),
      );
      for (const key of page.items ?? []) {
        const record = this.toRecord(key);
        if (record) records.push(record);
      }
      position = page.position;
    } while (position);
    return records.sort((a, b) => a.createdAt - b.createdAt || a.keyId.localeCompare(b.keyId));
  }

  async revoke(keyId: string, now: number): Promise<boolean> {
    const key = await this.get(keyId);
    if (!key || key.revokedAt !== null) return false;
    const updated = await callOrNotFound('UpdateApiKey', () =>
      this.client.send(
        new UpdateApiKeyCommand({
          apiKey: keyId,
          patchOperations: [
            { op: 'replace', path: '/enabled', value: 'false' },
            { op: 'replace', path: '/description', value: `${REVOKED_PREFIX}${new Date(now).toISOString()}` },
          ],
        }),
      ),
    );
    return updated !== null;
  }

  /** The default plan for default limits; otherwise a plan of the key's own, on the same stages. */
  private async joinUsagePlan(keyId: string, limits: KeyLimits): Promise<void> {
    const { defaults, defaultUsagePlanId } = this.options;
    const isDefault =
      limits.rateLimitRps === defaults.rateLimitRps &&
      limits.rateLimitBurst === defaults.rateLimitBurst &&
      limits.dailyQuota === defaults.dailyQuota;
    if (isDefault) return this.addToPlan(defaultUsagePlanId, keyId);

    const base = await callApiGateway('GetUsagePlan', () =>
      this.client.send(new GetUsagePlanCommand({ usagePlanId: defaultUsagePlanId })),
    );
    const plan = await callApiGateway('CreateUsagePlan', () =>
      this.client.send(
        new CreateUsagePlanCommand({
          name: `key-${keyId}`,
          description: `Limits of API key ${keyId}`,
          apiStages: base.apiStages,
          throttle: { rateLimit: limits.rateLimitRps, burstLimit: limits.rateLimitBurst },
          quota: limits.dailyQuota > 0 ? { limit: limits.dailyQuota, period: 'DAY' } : undefined,
        }),
      ),
    );
    try {
      await this.addToPlan(plan.id as string, keyId);
    } catch (error) {
      await this.client.send(new DeleteUsagePlanCommand({ usagePlanId: plan.id })).catch(() => {});
      throw error;
    }
  }

  private async addToPlan(usagePlanId: string, keyId: string): Promise<void> {
    await callApiGateway('CreateUsagePlanKey', () =>
      this.client.send(new CreateUsagePlanKeyCommand({ usagePlanId, keyId, keyType: 'API_KEY' })),
    );
  }

  /** Null for a key this API did not create (no tags of ours), unless it is the admin key. */
  private toRecord(key: ApiKey): ApiKeyRecord | null {
    const keyId = key.id as string;
    const tags = key.tags ?? {};
    const admin = keyId === this.options.adminKeyId;
    if (tags[TAG.createdAt] === undefined && !admin) return null;
    const { defaults } = this.options;
    return {
      keyId,
      name: key.name ?? '',
      tenant: keyId,
      admin,
      rateLimitRps: numberTag(tags[TAG.rateLimitRps], defaults.rateLimitRps),
      rateLimitBurst: numberTag(tags[TAG.rateLimitBurst], defaults.rateLimitBurst),
      dailyQuota: numberTag(tags[TAG.dailyQuota], admin ? 0 : defaults.dailyQuota),
      createdAt: numberTag(tags[TAG.createdAt], key.createdDate?.getTime() ?? 0),
      revokedAt: key.enabled === false ? revokedAt(key) : null,
    };
  }
}

function numberTag(value: string | undefined, fallback: number): number {
  const parsed = value === undefined ? Number.NaN : Number(value);
  return Number.isFinite(parsed) ? parsed : fallback;
}

/** When the key was revoked here; a key disabled elsewhere (the console) counts from its last update. */
function revokedAt(key: ApiKey): number {
  const stamp = key.description?.startsWith(REVOKED_PREFIX)
    ? Date.parse(key.description.slice(REVOKED_PREFIX.length))
    : Number.NaN;
  return Number.isFinite(stamp) ? stamp : (key.lastUpdatedDate?.getTime() ?? 0);
}
