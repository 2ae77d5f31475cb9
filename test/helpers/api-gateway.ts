import { randomUUID } from 'node:crypto';
import {
  APIGatewayClient,
  CreateUsagePlanCommand,
  DeleteUsagePlanCommand,
} from '@aws-sdk/client-api-gateway';
import type { KeyLimits } from '../../src/ports/key-store.ts';
import { motoClientConfig } from './moto.ts';

/** An API Gateway client for moto_server: any credentials do, the region only has to be real. */
export function motoApiGatewayClient(endpoint: string): APIGatewayClient {
  return new APIGatewayClient(motoClientConfig(endpoint));
}

/** A uniquely named usage plan with these limits, as the deployment's default plan would be. */
export async function createDefaultUsagePlan(
  client: APIGatewayClient,
  limits: KeyLimits,
): Promise<{ usagePlanId: string; remove(): Promise<void> }> {
  const plan = await client.send(
    new CreateUsagePlanCommand({
      name: `default-${randomUUID()}`,
      throttle: { rateLimit: limits.rateLimitRps, burstLimit: limits.rateLimitBurst },
      quota: limits.dailyQuota > 0 ? { limit: limits.dailyQuota, period: 'DAY' } : undefined,
    }),
  );
  const usagePlanId = plan.id as string;
  return {
    usagePlanId,
    remove: async () => {
      await client.send(new DeleteUsagePlanCommand({ usagePlanId }));
    },
  };
}
