/**
 * Secrets that must be usable later (webhook signing secrets, later WhatsApp access tokens) cannot be
 * hashed, so they are stored encrypted: AES-256-GCM with a random 12-byte IV per seal, through Web Crypto
 * (`crypto.subtle`), so the same code runs on Node and Workers. The key is `SECRETS_KEY` (base64 of 32
 * bytes); on Node with a `file:` database it defaults to a generated `secrets.key` beside the database.
 *
 * Sealed format: `v1.<iv base64url>.<ciphertext+tag base64url>`. An optional context string is bound as
 * additional authenticated data, so a ciphertext copied to another row (another context) does not open.
 * Errors never include the plaintext.
 */

const VERSION = 'v1';
const IV_BYTES = 12;
export const SECRETS_KEY_BYTES = 32;

export class SecretBoxError extends Error {
  override name = 'SecretBoxError';
}

export class SecretBox {
  readonly #key: CryptoKey;
  readonly #macBase: CryptoKey;

  constructor(key: CryptoKey, macBase: CryptoKey) {
    this.#key = key;
    this.#macBase = macBase;
  }

  /** A box for a raw 32-byte key. */
  static async fromKey(raw: Uint8Array): Promise<SecretBox> {
    if (raw.length !== SECRETS_KEY_BYTES) {
      throw new SecretBoxError(`The secrets key must be ${SECRETS_KEY_BYTES} bytes, not ${raw.length}.`);
    }
    const key = await crypto.subtle.importKey('raw', raw as Uint8Array<ArrayBuffer>, 'AES-GCM', false, [
      'encrypt',
      'decrypt',
    ]);
    const macBase = await crypto.subtle.importKey('raw', raw as Uint8Array<ArrayBuffer>, 'HKDF', false, [
      'deriveKey',
    ]);
    return new SecretBox(key, macBase);
  }

  /** A box for `SECRETS_KEY`: base64 (or base64url) of 32 bytes. */
  static fromBase64(value: string): Promise<SecretBox> {
    return SecretBox.fromKey(decodeSecretsKey(value));
  }

  async seal(plaintext: string, context = ''): Promise<string> {
    const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
    const ct = await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv, additionalData: encode(context) },
      this.#key,
      encode(plaintext),
    );
    return `${VERSION}.${toBase64Url(iv)}.${toBase64Url(new Uint8Array(ct))}`;
  }

  /**
   * HMAC-SHA256 of `message` (base64url) under a key derived from the secrets key for `purpose` (HKDF), so
   * a token made for one purpose (confirming a subscription) is worthless for another (unsubscribing).
   */
  async mac(purpose: string, message: string): Promise<string> {
    const key = await crypto.subtle.deriveKey(
      { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: encode(`lifeline mac: ${purpose}`) },
      this.#macBase,
      { name: 'HMAC', hash: 'SHA-256', length: 256 },
      false,
      ['sign'],
    );
    return toBase64Url(new Uint8Array(await crypto.subtle.sign('HMAC', key, encode(message))));
  }

  /** Opens what `seal` made with the same key and context; throws SecretBoxError otherwise. */
  async open(sealed: string, context = ''): Promise<string> {
    const parts = sealed.split('.');
    if (parts.length !== 3 || parts[0] !== VERSION) {
      throw new SecretBoxError('Not a sealed secret (expected v1.<iv>.<ciphertext>).');
    }
    let iv: Uint8Array<ArrayBuffer>;
    let ct: Uint8Array<ArrayBuffer>;
    try {
      iv = fromBase64(parts[1]!);
      ct = fromBase64(parts[2]!);
    } catch {
      throw new SecretBoxError('The sealed secret is not valid base64url.');
    }
    if (iv.length !== IV_BYTES) throw new SecretBoxError('The sealed secret has a bad IV.');
    try {
      const plain = await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv, additionalData: encode(context) },
        this.#key,
        ct,
      );
      return new TextDecoder().decode(plain);
    } catch {
      throw new SecretBoxError(
        'The sealed secret does not open with this key (another SECRETS_KEY, or tampered).',
      );
    }
  }
}

/** Decodes `SECRETS_KEY`; throws a SecretBoxError unless it is base64 of exactly 32 bytes. */
export function decodeSecretsKey(value: string): Uint8Array<ArrayBuffer> {
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = fromBase64(value.trim());
  } catch {
    throw new SecretBoxError('must be base64 (e.g. `openssl rand -base64 32`)');
  }
  if (bytes.length !== SECRETS_KEY_BYTES) {
    throw new SecretBoxError(`must be base64 of ${SECRETS_KEY_BYTES} bytes (got ${bytes.length})`);
  }
  return bytes;
}

/** A new random key, as base64 (what `SECRETS_KEY` and `secrets.key` hold). */
export function generateSecretsKey(): string {
  return toBase64(crypto.getRandomValues(new Uint8Array(SECRETS_KEY_BYTES)));
}

function encode(s: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(s) as Uint8Array<ArrayBuffer>;
}

export function toBase64(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

function toBase64Url(bytes: Uint8Array): string {
  return toBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Standard or url-safe base64, padded or not; throws on anything else. */
function fromBase64(s: string): Uint8Array<ArrayBuffer> {
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(s)) throw new Error('not base64');
  const std = s.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  if (std.length % 4 === 1) throw new Error('not base64');
  const bin = atob(std + '='.repeat((4 - (std.length % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
