import type { MiddlewareHandler } from 'hono';
import { UnauthorizedError } from '../core/errors.ts';
import type { KeyLimits } from '../ports/key-store.ts';
import type { AuthVariables } from './auth.ts';

/** The part of a REST (v1) proxy event this reads; hono/aws-lambda puts the event in `c.env`. */
interface GatewayBindings {
  event?: { requestContext?: { identity?: { apiKeyId?: string | null } } };
}

/**
 * Authentication on AWS. API Gateway has already refused a missing, unknown or disabled key
 * and applied the key's usage plan (throttle, quota) before the function runs; what reaches
 * the app is the key's id, which is the tenant, exactly as a local key's id is. No call to
 * API Gateway per request: the record is built from what the event says.
 */
export function gatewayIdentity(
  adminKeyId: string | undefined,
  limits: KeyLimits,
): MiddlewareHandler<{ Variables: AuthVariables }> {
  return async (c, next) => {
    const keyId = (c.env as GatewayBindings | undefined)?.event?.requestContext?.identity?.apiKeyId;
    // Only a method deployed without ApiKeyRequired gets here without one: refuse, never guess a tenant.
    if (!keyId) throw new UnauthorizedError();
    c.set('apiKey', {
      keyId,
      name: '',
      tenant: keyId,
      admin: adminKeyId !== undefined && keyId === adminKeyId,
      ...limits,
      createdAt: 0,
      revokedAt: null,
    });
    await next();
  };
}
