import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';
import { decodeSecretsKey, generateSecretsKey, SecretBox, SecretBoxError } from './secret-box.ts';

const box = () => SecretBox.fromBase64(generateSecretsKey());

describe('SecretBox', () => {
  it('opens what it sealed, and the sealed form shows nothing of the plaintext', async () => {
    const b = await box();
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const sealed = await b.seal(secret, 'webhook:wh_1');
    expect(sealed).toMatch(/^v1\.[\w-]{16}\.[\w-]+$/);
    expect(sealed).not.toContain(secret);
    expect(sealed).not.toContain(secret.slice(6));
    expect(await b.open(sealed, 'webhook:wh_1')).toBe(secret);
    expect(await b.open(await b.seal(''))).toBe('');
    expect(await b.open(await b.seal('ünïcödé ✓'))).toBe('ünïcödé ✓');
  });

  it('uses a fresh IV for every seal', async () => {
    const b = await box();
    const sealed = await Promise.all(Array.from({ length: 50 }, () => b.seal('same')));
    expect(new Set(sealed).size).toBe(50);
    expect(new Set(sealed.map((s) => s.split('.')[1])).size).toBe(50);
  });

  it('refuses a tampered ciphertext or IV, another context and another key, without echoing the secret', async () => {
    const b = await box();
    const sealed = await b.seal('the-secret', 'webhook:a');
    const [v, iv, ct] = sealed.split('.') as [string, string, string];
    const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
    for (const bad of [
      `${v}.${iv}.${flip(ct, 3)}`,
      `${v}.${flip(iv, 2)}.${ct}`,
      `${v}.${iv}.${ct.slice(0, -2)}`,
      `v2.${iv}.${ct}`,
      'v1.not base64.x',
      'plain',
    ]) {
      const err = await b.open(bad, 'webhook:a').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SecretBoxError);
      expect(String((err as Error).message)).not.toContain('the-secret');
    }
    await expect(b.open(sealed, 'webhook:b')).rejects.toBeInstanceOf(SecretBoxError);
    await expect((await box()).open(sealed, 'webhook:a')).rejects.toBeInstanceOf(SecretBoxError);
  });

  it('takes only base64 of exactly 32 bytes as its key', async () => {
    const key = generateSecretsKey();
    expect(decodeSecretsKey(key)).toHaveLength(32);
    expect(decodeSecretsKey(key.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''))).toHaveLength(32);
    expect(() => decodeSecretsKey(btoa('short'))).toThrow(/32 bytes/);
    expect(() => decodeSecretsKey('not base64!')).toThrow(SecretBoxError);
    await expect(SecretBox.fromKey(new Uint8Array(16))).rejects.toBeInstanceOf(SecretBoxError);
  });

  it('is validated as SECRETS_KEY by the configuration, without printing the value', () => {
    const key = generateSecretsKey();
    expect(loadConfig({ SECRETS_KEY: key }).SECRETS_KEY).toBe(key);
    const bad = 'c2hvcnQta2V5';
    expect(() => loadConfig({ SECRETS_KEY: bad })).toThrow(ConfigError);
    expect(() => loadConfig({ SECRETS_KEY: bad })).toThrow(/SECRETS_KEY:/);
    try {
      loadConfig({ SECRETS_KEY: bad });
    } catch (err) {
      expect((err as Error).message).not.toContain(bad);
    }
  });
});
