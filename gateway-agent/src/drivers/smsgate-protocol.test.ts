import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RecentKeys } from './dedup.ts';
import {
  buildSendBody,
  failureCode,
  healthFromBody,
  lookupFromMessage,
  mapWebhook,
  parseWebhookBody,
  signWebhook,
  telemetryFromHealth,
  verifyWebhookSignature,
  wasSentBeforeFailing,
} from './smsgate-protocol.ts';

const NOW = Date.parse('2026-11-24T06:00:00Z');

describe('buildSendBody', () => {
  const base = { id: 'm1', to: '+15550001111', text: 'hi', segments: 1 };

  it('maps slot to 1-based simNumber and expiresAt to ttl seconds', () => {
    expect(buildSendBody({ ...base, simSlot: 0, expiresAt: NOW + 90_500 }, NOW, true)).toEqual({
      ok: true,
      body: {
        id: 'm1',
        textMessage: { text: 'hi' },
        phoneNumbers: ['+15550001111'],
        withDeliveryReport: true,
        simNumber: 1,
        ttl: 90,
      },
    });
  });

  it('leaves simNumber out for the default SIM and refuses expired messages', () => {
    const ok = buildSendBody({ ...base, simSlot: null, expiresAt: NOW + 5000 }, NOW, false);
    expect(ok.ok && ok.body).not.toHaveProperty('simNumber');
    expect(ok.ok && ok.body.withDeliveryReport).toBe(false);
    expect(buildSendBody({ ...base, simSlot: null, expiresAt: NOW + 999 }, NOW, true)).toEqual({
      ok: false,
      reason: 'expired',
    });
  });
});

describe('webhook signatures', () => {
  const key = 'signing-key';
  const body = '{"event":"sms:sent","payload":{"messageId":"m1"}}';
  const ts = String(NOW / 1000);

  it('signs like the app: hex HMAC-SHA256 over body + timestamp', () => {
    expect(signWebhook(key, body, ts)).toBe(
      createHmac('sha256', key)
        .update(body + ts)
        .digest('hex'),
    );
  });

  const verify = (overrides: Partial<Parameters<typeof verifyWebhookSignature>[0]>) =>
    verifyWebhookSignature({
      signingKey: key,
      rawBody: body,
      signature: signWebhook(key, body, ts),
      timestamp: ts,
      nowMs: NOW,
      maxSkewSeconds: 300,
      ...overrides,
    });

  it('accepts a valid signature (upper-case hex too) within the skew', () => {
    expect(verify({})).toEqual({ ok: true });
    expect(verify({ signature: signWebhook(key, body, ts).toUpperCase() })).toEqual({ ok: true });
    expect(verify({ nowMs: NOW + 299_000 })).toEqual({ ok: true });
  });

  it('refuses missing headers, malformed or stale timestamps, wrong keys and altered bodies', () => {
    expect(verify({ signature: undefined })).toEqual({ ok: false, reason: 'missing_headers' });
    expect(verify({ timestamp: undefined })).toEqual({ ok: false, reason: 'missing_headers' });
    expect(verify({ timestamp: '12.5' })).toEqual({ ok: false, reason: 'bad_timestamp' });
    expect(verify({ nowMs: NOW + 301_000 })).toEqual({ ok: false, reason: 'stale_timestamp' });
    expect(verify({ nowMs: NOW - 301_000 })).toEqual({ ok: false, reason: 'stale_timestamp' });
    expect(verify({ signingKey: 'other' })).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verify({ rawBody: `${body} ` })).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verify({ signature: 'abc' })).toEqual({ ok: false, reason: 'bad_signature' });
    // The timestamp is part of the signed message: replaying the body with a fresh timestamp fails.
    expect(verify({ timestamp: String(NOW / 1000 + 1) })).toEqual({ ok: false, reason: 'bad_signature' });
  });
});

describe('mapWebhook', () => {
  const hook = (event: string, payload: Record<string, unknown>) => {
    const parsed = parseWebhookBody(
      JSON.stringify({ deviceId: 'd', event, id: 'e1', payload, webhookId: 'w' }),
    );
    if (!parsed) throw new Error('unparsable');
    return mapWebhook(parsed, NOW);
  };

  it('maps sent (with parts), delivered and failed with the phone-stamped time', () => {
    expect(
      hook('sms:sent', {
        messageId: 'm1',
        phoneNumber: '+1',
        simNumber: 1,
        partsCount: 3,
        sentAt: '2026-11-24T08:59:00.000+03:00',
      }),
    ).toEqual({
      kind: 'event',
      event: { type: 'sent', id: 'm1', at: Date.parse('2026-11-24T05:59:00Z'), parts: 3 },
      dedupKey: 'sent|m1|+1',
    });
    expect(hook('sms:delivered', { messageId: 'm1', phoneNumber: '+1', deliveredAt: 'garbage' })).toEqual({
      kind: 'event',
      event: { type: 'delivered', id: 'm1', at: NOW },
      dedupKey: 'delivered|m1|+1',
    });
    expect(
      hook('sms:failed', { messageId: 'm1', phoneNumber: '+1', reason: 'RESULT_ERROR_RADIO_OFF' }),
    ).toMatchObject({
      kind: 'failed',
      id: 'm1',
      reason: 'RESULT_ERROR_RADIO_OFF',
    });
  });

  it('maps received with a 0-based slot, keyed by sender and time (the app id is a content hash)', () => {
    const a = hook('sms:received', {
      messageId: 'hash',
      message: 'hello',
      phoneNumber: '+2',
      simNumber: 2,
      receivedAt: '2026-11-24T06:00:00Z',
    });
    expect(a).toMatchObject({
      kind: 'event',
      event: { type: 'received', from: '+2', text: 'hello', simSlot: 1 },
    });
    const b = hook('sms:received', {
      messageId: 'hash',
      message: 'hello',
      phoneNumber: '+2',
      receivedAt: 'later',
    });
    expect(a.kind === 'event' && b.kind === 'event' && a.dedupKey !== b.dedupKey).toBe(true);
  });

  it('ignores events it does not handle and payloads without ids', () => {
    expect(hook('system:ping', { health: {} })).toMatchObject({ kind: 'ignored' });
    expect(hook('sms:sent', { phoneNumber: '+1' })).toMatchObject({ kind: 'ignored' });
    expect(parseWebhookBody('not json')).toBeNull();
    expect(parseWebhookBody('{"event":"sms:sent"}')).toBeNull();
  });
});

describe('failureCode', () => {
  it('extracts Android result codes and classifies common reasons', () => {
    expect(failureCode('Send failed: RESULT_ERROR_NO_SERVICE')).toBe('RESULT_ERROR_NO_SERVICE');
    expect(failureCode('TTL expired')).toBe('SMSGATE_EXPIRED');
    expect(failureCode('Invalid phone number')).toBe('SMSGATE_INVALID_NUMBER');
    expect(failureCode(undefined)).toBe('SMSGATE_FAILED');
  });
});

describe('lookupFromMessage', () => {
  const at = '2026-11-24T06:00:00.000Z';
  it('maps the app states to lookup states with their time', () => {
    expect(lookupFromMessage({ id: 'm', state: 'Pending', states: { Pending: at } }, NOW)).toEqual({
      known: true,
      state: 'pending',
      at: NOW,
    });
    expect(lookupFromMessage({ id: 'm', state: 'Processed' }, NOW)).toEqual({
      known: true,
      state: 'pending',
    });
    expect(lookupFromMessage({ id: 'm', state: 'Sent', states: { Sent: at } }, NOW)).toMatchObject({
      state: 'sent',
    });
    expect(lookupFromMessage({ id: 'm', state: 'Delivered' }, NOW)).toMatchObject({ state: 'delivered' });
    expect(
      lookupFromMessage(
        {
          id: 'm',
          state: 'Failed',
          recipients: [{ phoneNumber: '+1', state: 'Failed', error: 'RESULT_ERROR_NULL_PDU' }],
        },
        NOW,
      ),
    ).toEqual({ known: true, state: 'failed', errorCode: 'RESULT_ERROR_NULL_PDU' });
  });

  it('knows a failure after Sent was a delivery failure', () => {
    expect(wasSentBeforeFailing({ id: 'm', state: 'Failed', states: { Pending: at, Failed: at } })).toBe(
      false,
    );
    expect(wasSentBeforeFailing({ id: 'm', state: 'Failed', states: { Sent: at, Failed: at } })).toBe(true);
  });
});

describe('health and telemetry from /health', () => {
  const body = {
    status: 'warn',
    checks: {
      'battery:level': {
        description: 'Battery level in percent',
        observedUnit: 'percent',
        observedValue: 20,
        status: 'warn',
      },
      'battery:charging': { observedValue: 0, status: 'pass' },
      'connection:status': { observedValue: 1, status: 'pass' },
      'connection:transport': { observedValue: 2, status: 'pass' },
    },
  };

  it('keeps every check and the overall status', () => {
    const health = healthFromBody(body, 200);
    expect(health.status).toBe('warn');
    expect(health.checks['battery:level']).toEqual({
      status: 'warn',
      detail: 'Battery level in percent: 20 percent',
    });
    expect(healthFromBody('nope', 500).status).toBe('fail');
    expect(healthFromBody({}, 500).status).toBe('fail');
  });

  it('reads battery and transport flags', () => {
    expect(telemetryFromHealth(body)).toEqual({
      battery: { percent: 20, charging: false },
      network: { type: 'cellular', connected: true },
    });
    expect(telemetryFromHealth({ checks: { 'connection:status': { observedValue: 0 } } })).toEqual({
      network: { type: 'none', connected: false },
    });
    expect(telemetryFromHealth(null)).toEqual({});
  });
});

describe('RecentKeys', () => {
  it('reports a key seen within the window as a duplicate, and forgets it after', () => {
    const keys = new RecentKeys({ ttlMs: 1000, maxEntries: 10 });
    expect(keys.checkAndAdd('a', 0)).toBe(false);
    expect(keys.checkAndAdd('a', 999)).toBe(true);
    expect(keys.checkAndAdd('a', 2001)).toBe(false);
  });

  it('stays bounded', () => {
    const keys = new RecentKeys({ ttlMs: 1e9, maxEntries: 3 });
    for (const k of ['a', 'b', 'c', 'd']) keys.checkAndAdd(k, 1);
    expect(keys.size).toBe(3);
    expect(keys.has('a', 1)).toBe(false);
    expect(keys.has('d', 1)).toBe(true);
  });
});
