/** Secrets are random, shown once, and stored only as SHA-256 hashes. */

export type SecretKind = 'admin' | 'device';

const PREFIX: Record<SecretKind, string> = { admin: 'll_admin_', device: 'll_dev_' };

/** A 256-bit random token with a recognisable prefix (so secret scanners can spot a leaked one). */
export function generateToken(kind: SecretKind): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return PREFIX[kind] + base64url(bytes);
}

export async function sha256Hex(value: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(value));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
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
