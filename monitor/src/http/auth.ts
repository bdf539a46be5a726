import { findActiveApiKeyByHash, findDeviceByTokenHash } from '@lifeline/db';
import type { ApiKeyScope, Device } from '@lifeline/db/schema';
import type { Context, MiddlewareHandler } from 'hono';
import { isApiKeyToken, sha256Hex } from '../secrets.ts';
import { beginApiAudit } from './audit.ts';
import type { AppEnv } from './env.ts';
import { ApiError } from './errors.ts';
import { SCOPE_DESCRIPTIONS, scopeAllows, scopesAllowing } from './scopes.ts';

export interface AdminPrincipal {
  kind: 'admin';
  workspaceId: string;
  keyId: string;
  /** What the key may do (`http/scopes.ts`). */
  scope: ApiKeyScope;
  /** `<name> (<prefix>…)`, for the audit log. */
  label: string;
}

export interface DevicePrincipal {
  kind: 'device';
  workspaceId: string;
  deviceId: string;
  status: Device['status'];
  /** The interval this device is told to heartbeat at: its workspace's (cached with the token). */
  heartbeatIntervalMs: number;
}

function bearer(c: Context): string {
  const header = c.req.header('Authorization');
  if (!header) throw new ApiError(401, 'missing_token', 'Send the token as `Authorization: Bearer <token>`.');
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) throw new ApiError(401, 'invalid_token', 'The Authorization header must be `Bearer <token>`.');
  return match[1]!;
}

/** Requires a workspace API key whose scope allows this request (else 403); sets `admin`. */
export const requireAdmin: MiddlewareHandler<AppEnv> = async (c, next) => {
  const token = bearer(c);
  if (!isApiKeyToken(token)) throw new ApiError(401, 'invalid_token', 'This endpoint needs an API key.');
  const { db, authCache } = c.var.deps;
  const hash = sha256Hex(token);
  let principal = authCache.get<AdminPrincipal>(hash);
  if (!principal) {
    const key = await findActiveApiKeyByHash(db, hash);
    if (!key) throw new ApiError(401, 'invalid_token', 'The API key is unknown or revoked.');
    principal = {
      kind: 'admin',
      workspaceId: key.workspaceId,
      keyId: key.id,
      scope: key.scope,
      label: `${key.name} (${key.prefix}…)`,
    };
    authCache.set(hash, principal);
  }
  // Set before the scope check, so the audit log can name who was refused.
  c.set('admin', principal);
  if (!scopeAllows(principal.scope, c.req.method, c.req.path)) {
    throw new ApiError(
      403,
      'insufficient_scope',
      `This API key (scope ${principal.scope}) allows ${SCOPE_DESCRIPTIONS[principal.scope]}; ${c.req.method} ${c.req.path} needs a key with scope ${scopesAllowing(c.req.method, c.req.path).join(' or ')}.`,
    );
  }
  // A change's audit row is written before the change (http/audit.ts).
  await beginApiAudit(c);
  await next();
};

/** Requires an active device token; sets `device`. A paused device is refused with 403, a revoked one 401. */
export const requireDevice: MiddlewareHandler<AppEnv> = async (c, next) => {
  const token = bearer(c);
  if (!token.startsWith('ll_dev_'))
    throw new ApiError(401, 'invalid_token', 'This endpoint needs a device token.');
  const { db, authCache } = c.var.deps;
  const hash = sha256Hex(token);
  let principal = authCache.get<DevicePrincipal>(hash);
  if (!principal) {
    const device = await findDeviceByTokenHash(db, hash);
    if (!device) throw new ApiError(401, 'invalid_token', 'The device token is unknown.');
    principal = {
      kind: 'device',
      workspaceId: device.workspaceId,
      deviceId: device.id,
      status: device.status,
      heartbeatIntervalMs: device.workspaceHeartbeatIntervalMs,
    };
    authCache.set(hash, principal);
  }
  if (principal.status === 'revoked') {
    throw new ApiError(401, 'device_revoked', 'This device was revoked; enrol it again with a new code.');
  }
  if (principal.status === 'paused') {
    throw new ApiError(
      403,
      'device_paused',
      'This device is paused by an admin; it may not report until resumed.',
    );
  }
  c.set('device', principal);
  await next();
};
