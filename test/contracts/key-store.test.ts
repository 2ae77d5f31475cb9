import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetUsagePlanKeysCommand, GetUsagePlansCommand } from '@aws-sdk/client-api-gateway';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { ApiGatewayKeyStoreError } from '../../src/adapters/aws/api-gateway-errors.ts';
import { ApiGatewayKeyStore } from '../../src/adapters/aws/api-gateway-key-store.ts';
import { openDatabase } from '../../src/adapters/local/sqlite-database.ts';
import { SqliteKeyStore } from '../../src/adapters/local/sqlite-key-store.ts';
import { hashApiKey } from '../../src/core/api-keys.ts';
import type { KeyLimits } from '../../src/ports/key-store.ts';
import { createDefaultUsagePlan, motoApiGatewayClient } from '../helpers/api-gateway.ts';
import { MOTO_INSTALL_HINT } from '../helpers/moto.ts';
import { keyStoreContract } from './key-store.contract.ts';

const motoEndpoint = inject('motoEndpoint');
if (!motoEndpoint) console.warn(`\n!!! ${MOTO_INSTALL_HINT}\n`);

const DEFAULTS: KeyLimits = { rateLimitRps: 10, rateLimitBurst: 20, dailyQuota: 1000 };

function sqliteStore() {
  const dir = mkdtempSync(join(tmpdir(), 'imgapi-keys-contract-'));
  const db = openDatabase(join(dir, 'db.sqlite'));
  return {
    store: new SqliteKeyStore(db),
    close: async () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function apiGatewayStore(endpoint: string, adminKeyId?: string) {
  const client = motoApiGatewayClient(endpoint);
  const plan = await createDefaultUsagePlan(client, DEFAULTS);
  const store = new ApiGatewayKeyStore({
    client,
    defaultUsagePlanId: plan.usagePlanId,
    defaults: DEFAULTS,
    adminKeyId,
  });
  return {
    client,
    store,
    usagePlanId: plan.usagePlanId,
    close: async () => {
      await plan.remove();
      client.destroy();
    },
  };
}

describe('Contract: KeyStore on SqliteKeyStore', () => {
  keyStoreContract({
    async create() {
      return { ...sqliteStore(), defaults: DEFAULTS };
    },
  });
});

describe('Class: SqliteKeyStore as the local KeyAuthenticator', () => {
  let t: ReturnType<typeof sqliteStore>;
  beforeEach(() => {
    t = sqliteStore();
  });
  afterEach(() => t.close());

  it('finds a created key by the hash of its secret, and sees its revocation', async () => {
    const { record, apiKey } = await t.store.create({ name: 'app', ...DEFAULTS, now: 1 });

    expect(await t.store.findByHash(hashApiKey(apiKey))).toEqual(record);
    await t.store.revoke(record.keyId, 2);
    expect(await t.store.findByHash(hashApiKey(apiKey))).toEqual({ ...record, revokedAt: 2 });
    expect(await t.store.findByHash(hashApiKey(`${apiKey}x`))).toBeNull();
  });
});

describe.skipIf(!motoEndpoint)('Contract: KeyStore on ApiGatewayKeyStore (moto_server)', () => {
  keyStoreContract({
    async create() {
      return { ...(await apiGatewayStore(motoEndpoint as string)), defaults: DEFAULTS };
    },
  });
});

describe.skipIf(!motoEndpoint)('Class: ApiGatewayKeyStore (moto_server)', () => {
  let t: Awaited<ReturnType<typeof apiGatewayStore>>;
  beforeEach(async () => {
    t = await apiGatewayStore(motoEndpoint as string);
  });
  afterEach(() => t.close());

  const plansOf = async (keyId: string) =>
    (await t.client.send(new GetUsagePlansCommand({ keyId }))).items ?? [];

  it('puts a key with the default limits in the default usage plan', async () => {
    const { record } = await t.store.create({ name: 'app', ...DEFAULTS, now: 1 });

    const keys = await t.client.send(new GetUsagePlanKeysCommand({ usagePlanId: t.usagePlanId }));
    expect(keys.items?.map((k) => k.id)).toContain(record.keyId);
    expect((await plansOf(record.keyId)).map((p) => p.id)).toEqual([t.usagePlanId]);
  });

  it('gives a key with other limits a usage plan of its own with those limits', async () => {
    const { record } = await t.store.create({
      name: 'slow app',
      rateLimitRps: 2,
      rateLimitBurst: 4,
      dailyQuota: 100,
      now: 1,
    });

    const [plan, ...others] = await plansOf(record.keyId);
    expect(others).toEqual([]);
    expect(plan?.id).not.toBe(t.usagePlanId);
    expect(plan?.throttle).toEqual({ rateLimit: 2, burstLimit: 4 });
    expect(plan?.quota).toMatchObject({ limit: 100, period: 'DAY' });
  });

  it('sets no quota on a dedicated plan for an unlimited key', async () => {
    const { record } = await t.store.create({ name: 'bulk', ...DEFAULTS, dailyQuota: 0, now: 1 });

    const [plan] = await plansOf(record.keyId);
    expect(plan?.quota).toBeUndefined();
  });

  it('marks the configured admin key as admin', async () => {
    const { record } = await t.store.create({ name: 'owner', ...DEFAULTS, now: 1 });
    const withAdmin = new ApiGatewayKeyStore({
      client: t.client,
      defaultUsagePlanId: t.usagePlanId,
      defaults: DEFAULTS,
      adminKeyId: record.keyId,
    });

    expect(await withAdmin.get(record.keyId)).toMatchObject({ admin: true, tenant: record.keyId });
  });

  it('fails with an ApiGatewayKeyStoreError naming the action, and leaves no key behind', async () => {
    const broken = new ApiGatewayKeyStore({
      client: t.client,
      defaultUsagePlanId: 'noplan0000',
      defaults: DEFAULTS,
    });

    const creating = broken.create({ name: `orphan-${t.usagePlanId}`, ...DEFAULTS, dailyQuota: 5, now: 1 });

    await expect(creating).rejects.toThrow(ApiGatewayKeyStoreError);
    await expect(creating).rejects.toThrow(/^API Gateway GetUsagePlan failed: NotFoundException/);
    expect((await t.store.list()).map((k) => k.name)).not.toContain(`orphan-${t.usagePlanId}`);
  });
});
