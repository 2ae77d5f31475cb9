import {
  type APIGatewayClient,
  GetApiKeysCommand,
  GetUsagePlanKeysCommand,
  GetUsagePlansCommand,
} from '@aws-sdk/client-api-gateway';
import { TokenBuckets } from '../core/token-bucket.ts';
import type { KeyLimits } from '../ports/key-store.ts';

/** A key the gateway accepts: enabled, and in a usage plan whose limits apply to it. */
interface AcceptedKey {
  keyId: string;
  limits: KeyLimits;
}

export type KeyCheck =
  | { ok: true; keyId: string }
  | { ok: false; refusal: 'INVALID_API_KEY' | 'THROTTLED' | 'QUOTA_EXCEEDED' };

/** How long a snapshot of the keys is trusted: a revoked key is refused within this. */
const SNAPSHOT_MS = 1000;
/** Reads for unknown keys start at most this often (ten a second), however many arrive. */
const RENEW_UNKNOWN_MS = 100;

/**
 * What API Gateway does with x-api-key before a method with ApiKeyRequired runs, against
 * the keys and usage plans held by the emulator: refuse a missing, unknown or disabled key
 * and one in no usage plan (403), then apply its plan's throttle (token bucket) and daily
 * quota (429). Keys are read in one snapshot, renewed at most every second; the real gateway
 * also caches keys, so a revocation takes a moment there too.
 */
export class GatewayKeys {
  private snapshot: Promise<Map<string, AcceptedKey>> | null = null;
  private takenAt = 0;
  /** The next read for unknown keys, waiting for its turn (see renewedSince). */
  private nextRenewal: Promise<Map<string, AcceptedKey>> | null = null;
  private readonly buckets = new TokenBuckets();
  private readonly used = new Map<string, { day: string; count: number }>();

  constructor(private readonly client: APIGatewayClient) {}

  async check(presented: string | undefined, now = Date.now()): Promise<KeyCheck> {
    if (!presented) return { ok: false, refusal: 'INVALID_API_KEY' };
    let key = (await this.keys(now)).get(presented);
    // A key made a moment ago (POST /keys) works at once, as locally: an unknown value is
    // looked up again in keys read after the request arrived.
    if (!key) key = (await this.renewedSince(now)).get(presented);
    if (!key) return { ok: false, refusal: 'INVALID_API_KEY' };
    const { rateLimitRps, rateLimitBurst, dailyQuota } = key.limits;
    if (this.buckets.take(key.keyId, rateLimitRps, rateLimitBurst, now) > 0)
      return { ok: false, refusal: 'THROTTLED' };
    if (dailyQuota > 0) {
      const day = new Date(now).toISOString().slice(0, 10);
      const used = this.used.get(key.keyId);
      const count = used?.day === day ? used.count + 1 : 1;
      this.used.set(key.keyId, { day, count });
      if (count > dailyQuota) return { ok: false, refusal: 'QUOTA_EXCEEDED' };
    }
    return { ok: true, keyId: key.keyId };
  }

  private keys(now: number, renew = false): Promise<Map<string, AcceptedKey>> {
    if (!this.snapshot || renew || now - this.takenAt > SNAPSHOT_MS) {
      this.takenAt = now;
      const previous = this.snapshot;
      // A failed read keeps the last good snapshot rather than refusing every key.
      this.snapshot = this.read().catch((error) => {
        if (previous) return previous;
        throw error;
      });
    }
    return this.snapshot;
  }

  /**
   * Keys read after `arrival`, so that a key created before the request came is in them.
   * Such reads start at most every RENEW_UNKNOWN_MS: a request waits for the next turn (and
   * shares it with every request waiting) rather than being refused, so a stream of bad keys
   * costs ten reads a second and delays only itself.
   */
  private renewedSince(arrival: number): Promise<Map<string, AcceptedKey>> {
    if (this.snapshot && this.takenAt >= arrival) return this.snapshot;
    if (!this.nextRenewal) {
      const wait = Math.max(0, this.takenAt + RENEW_UNKNOWN_MS - Date.now());
      this.nextRenewal = new Promise((resolve) => setTimeout(resolve, wait)).then(() => {
        this.nextRenewal = null;
        return this.keys(Date.now(), true);
      });
    }
    return this.nextRenewal;
  }

  private async read(): Promise<Map<string, AcceptedKey>> {
    const limitsOf = new Map<string, KeyLimits>();
    const plans = await this.client.send(new GetUsagePlansCommand({ limit: 500 }));
    for (const plan of plans.items ?? []) {
      const limits: KeyLimits = {
        rateLimitRps: plan.throttle?.rateLimit ?? Number.POSITIVE_INFINITY,
        rateLimitBurst: plan.throttle?.burstLimit ?? Number.POSITIVE_INFINITY,
        dailyQuota: plan.quota?.period === 'DAY' ? (plan.quota.limit ?? 0) : 0,
      };
      const members = await this.client.send(
        new GetUsagePlanKeysCommand({ usagePlanId: plan.id as string, limit: 500 }),
      );
      for (const member of members.items ?? []) if (member.id) limitsOf.set(member.id, limits);
    }
    const accepted = new Map<string, AcceptedKey>();
    const keys = await this.client.send(new GetApiKeysCommand({ includeValues: true, limit: 500 }));
    for (const key of keys.items ?? []) {
      const limits = key.id ? limitsOf.get(key.id) : undefined;
      if (key.enabled === false || !key.value || !key.id || !limits) continue;
      accepted.set(key.value, { keyId: key.id, limits });
    }
    return accepted;
  }
}
