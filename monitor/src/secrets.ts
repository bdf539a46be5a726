/** Secrets are random, shown once, and stored only as SHA-256 hashes. */
import { createHash } from 'node:crypto';

/** An API key of each scope (see `apiKeyScopes`), or a device token. */
export type SecretKind = 'admin' | 'send' | 'read' | 'device';

const PREFIX: Record<SecretKind, string> = {
  admin: 'll_admin_',
  send: 'll_send_',
  read: 'll_read_',
  device: 'll_dev_',
};

/** Whether a bearer token has the shape of a workspace API key (any scope). */
export function isApiKeyToken(token: string): boolean {
  return token.startsWith('ll_admin_') || token.startsWith('ll_send_') || token.startsWith('ll_read_');
}

/** A 256-bit random token with a recognisable prefix (so secret scanners can spot a leaked one). */
export function generateToken(kind: SecretKind): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return PREFIX[kind] + base64url(bytes);
}

/**
 * Hex SHA-256 of a token, synchronously: every authenticated request hashes its token before the cache
 * lookup, and WebCrypto's digest is a thread-pool job per call (8 % of the heartbeat path's CPU). The
 * Workers runtime provides `node:crypto`'s createHash under the `nodejs_compat` flag that wrangler.toml sets.
 */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

const CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A one-time enrolment code a person can type on a phone: `XXXX-XXXX-XXXX` (60 bits). */
export function generateEnrollmentCode(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  const chars = [...bytes].map((b) => CODE_ALPHABET[b % 32]).join('');
  return `${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8, 12)}`;
}

/** Codes are compared case-insensitively and without separators; I, L and O read as 1, 1 and 0. */
export function normalizeEnrollmentCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, '').replace(/[IL]/g, '1').replace(/O/g, '0');
}

function base64url(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
