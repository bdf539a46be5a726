import { devices, enrollmentCodes, heartbeats, messageEvents } from '@lifeline/db/schema';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../src/app.ts';
import { heartbeat, startTestServer, type TestServer } from './helpers.ts';

let s: TestServer;
let device: { deviceId: string; token: string; workspaceId: string };
beforeAll(async () => {
  s = await startTestServer();
  device = await s.enrollDevice('Bad input target');
});
afterAll(async () => {
  await s.close();
});

async function counts() {
  const db = s.deps.db;
  return {
    heartbeats: await db.$count(heartbeats),
    devices: await db.$count(devices),
    events: await db.$count(messageEvents),
    usedCodes: (await db.select().from(enrollmentCodes)).filter((c) => c.usedAt !== null).length,
  };
}

type Req = { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> };
type Case = [
  name: string,
  method: string,
  path: string,
  req: () => Req,
  status: number,
  code: string,
  field?: string,
];

const hb = (o: Record<string, unknown>) => ({ ...heartbeat(), ...o });

const cases: Case[] = [
  [
    'malformed JSON',
    'POST',
    '/v1/heartbeats',
    () => ({ token: device.token, raw: '{"runId":' }),
    400,
    'invalid_json',
  ],
  ['empty body', 'POST', '/v1/heartbeats', () => ({ token: device.token, raw: '' }), 400, 'invalid_json'],
  [
    'a JSON array instead of an object',
    'POST',
    '/v1/heartbeats',
    () => ({ token: device.token, body: [1] }),
    400,
    'invalid_field',
  ],
  [
    'wrong type',
    'POST',
    '/v1/heartbeats',
    () => ({ token: device.token, body: hb({ seq: 'seven' }) }),
    400,
    'invalid_field',
    'seq',
  ],
  [
    'missing field',
    'POST',
    '/v1/heartbeats',
    () => ({ token: device.token, body: hb({ bootId: undefined }) }),
    400,
    'missing_field',
    'bootId',
  ],
  [
    'battery 140 %',
    'POST',
    '/v1/heartbeats',
    () => ({ token: device.token, body: hb({ battery: { percent: 140, charging: true } }) }),
    400,
    'invalid_field',
    'battery.percent',
  ],
  [
    'negative queue depth',
    'POST',
    '/v1/heartbeats',
    () => ({ token: device.token, body: hb({ queue: { depth: -1 } }) }),
    400,
    'invalid_field',
    'queue.depth',
  ],
  [
    'signal out of range in a nested array',
    'POST',
    '/v1/heartbeats',
    () => ({ token: device.token, body: hb({ sims: [{ slot: 0, signalDbm: 5 }] }) }),
    400,
    'invalid_field',
    'sims.0.signalDbm',
  ],
  [
    'unknown top-level field',
    'POST',
    '/v1/heartbeats',
    () => ({ token: device.token, body: hb({ imei: '1234' }) }),
    400,
    'unknown_field',
    'imei',
  ],
  [
    'unknown nested field',
    'POST',
    '/v1/heartbeats',
    () => ({ token: device.token, body: hb({ battery: { percent: 50, charging: false, volts: 4 } }) }),
    400,
    'unknown_field',
    'battery.volts',
  ],
  [
    'body over the size limit',
    'POST',
    '/v1/heartbeats',
    () => ({ token: device.token, body: hb({ lastError: { message: 'x'.repeat(MAX_BODY_BYTES) } }) }),
    413,
    'payload_too_large',
  ],
  [
    'not JSON',
    'POST',
    '/v1/heartbeats',
    () => ({
      token: device.token,
      raw: 'seq=1',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    }),
    415,
    'unsupported_media_type',
  ],
  ['missing token', 'POST', '/v1/heartbeats', () => ({ body: heartbeat() }), 401, 'missing_token'],
  [
    'malformed Authorization header',
    'POST',
    '/v1/heartbeats',
    () => ({ body: heartbeat(), headers: { authorization: 'Token abc' } }),
    401,
    'invalid_token',
  ],
  [
    'unknown device token',
    'POST',
    '/v1/heartbeats',
    () => ({ token: 'll_dev_not-a-real-token', body: heartbeat() }),
    401,
    'invalid_token',
  ],
  [
    'an admin key where a device token belongs',
    'POST',
    '/v1/heartbeats',
    () => ({ token: s.creds.apiKey, body: heartbeat() }),
    401,
    'invalid_token',
  ],
  [
    'a device token where an admin key belongs',
    'GET',
    '/v1/devices',
    () => ({ token: device.token }),
    401,
    'invalid_token',
  ],
  ['unknown admin key', 'GET', '/v1/devices', () => ({ token: 'll_admin_nope' }), 401, 'invalid_token'],
  [
    'too many receipts',
    'POST',
    '/v1/receipts',
    () => ({
      token: device.token,
      body: {
        receipts: Array.from({ length: 501 }, (_, i) => ({
          messageId: `m${i}`,
          attempt: 1,
          status: 'sent',
          at: 1,
        })),
      },
    }),
    400,
    'invalid_field',
    'receipts',
  ],
  [
    'no receipts',
    'POST',
    '/v1/receipts',
    () => ({ token: device.token, body: { receipts: [] } }),
    400,
    'invalid_field',
    'receipts',
  ],
  [
    'a receipt status devices cannot report',
    'POST',
    '/v1/receipts',
    () => ({
      token: device.token,
      body: { receipts: [{ messageId: 'm', attempt: 1, status: 'queued', at: 1 }] },
    }),
    400,
    'invalid_field',
    'receipts.0.status',
  ],
  [
    'unknown enrolment code',
    'POST',
    '/v1/devices/enroll',
    () => ({ body: { code: 'AAAA-BBBB-CCCC' } }),
    400,
    'invalid_code',
    'code',
  ],
  [
    'enrolment without a code',
    'POST',
    '/v1/devices/enroll',
    () => ({ body: { name: 'x' } }),
    400,
    'missing_field',
    'code',
  ],
  [
    'device name too long',
    'PATCH',
    '/v1/devices/{id}',
    () => ({ token: s.creds.apiKey, body: { name: 'n'.repeat(101) } }),
    400,
    'invalid_field',
    'name',
  ],
  [
    'empty patch',
    'PATCH',
    '/v1/devices/{id}',
    () => ({ token: s.creds.apiKey, body: {} }),
    400,
    'invalid_field',
  ],
  [
    'unknown patch field',
    'PATCH',
    '/v1/devices/{id}',
    () => ({ token: s.creds.apiKey, body: { status: 'active' } }),
    400,
    'unknown_field',
    'status',
  ],
  [
    'unknown device',
    'GET',
    '/v1/devices/dev_missing',
    () => ({ token: s.creds.apiKey }),
    404,
    'device_not_found',
    'id',
  ],
  [
    'list limit out of range',
    'GET',
    '/v1/devices?limit=5000',
    () => ({ token: s.creds.apiKey }),
    400,
    'invalid_field',
    'limit',
  ],
  [
    'code lifetime out of range',
    'POST',
    '/v1/enrollment-codes',
    () => ({ token: s.creds.apiKey, body: { expiresInS: 5 } }),
    400,
    'invalid_field',
    'expiresInS',
  ],
  ['unknown route', 'GET', '/v1/nothing-here', () => ({}), 404, 'not_found'],
];

describe('bad input gets a clear 4xx naming the problem, and nothing is written', () => {
  it.each(cases)('%s', async (_name, method, path, req, status, code, field) => {
    const before = await counts();
    const res = await s.request(method, path.replace('{id}', device.deviceId), req());
    expect(res.status).toBe(status);
    expect(res.json.error.code).toBe(code);
    expect(typeof res.json.error.message).toBe('string');
    if (field) expect(res.json.error.field).toBe(field);
    expect(await counts()).toEqual(before);
  });

  it('an expired, a reused and a revoked enrolment code are each refused with 410', async () => {
    const admin = s.creds.apiKey;
    const expiring = await s.request('POST', '/v1/enrollment-codes', {
      token: admin,
      body: { expiresInS: 60 },
    });
    s.clock.advance(61_000);
    const before = await counts();
    const expired = await s.request('POST', '/v1/devices/enroll', { body: { code: expiring.json.code } });
    expect(expired.status).toBe(410);
    expect(expired.json.error).toMatchObject({ code: 'code_expired', field: 'code' });

    const once = await s.request('POST', '/v1/enrollment-codes', { token: admin, body: {} });
    expect((await s.request('POST', '/v1/devices/enroll', { body: { code: once.json.code } })).status).toBe(
      201,
    );
    const reused = await s.request('POST', '/v1/devices/enroll', { body: { code: once.json.code } });
    expect(reused.status).toBe(410);
    expect(reused.json.error.code).toBe('code_used');

    const revokedCode = await s.request('POST', '/v1/enrollment-codes', { token: admin, body: {} });
    expect(
      (await s.request('DELETE', `/v1/enrollment-codes/${revokedCode.json.id}`, { token: admin })).status,
    ).toBe(204);
    const revoked = await s.request('POST', '/v1/devices/enroll', { body: { code: revokedCode.json.code } });
    expect(revoked.status).toBe(410);
    expect(revoked.json.error.code).toBe('code_revoked');

    const after = await counts();
    expect(after.devices).toBe(before.devices + 1); // only the one good enrolment
    expect(after.usedCodes).toBe(before.usedCodes + 1);
  });

  it('a revoked API key stops working at once', async () => {
    const created = await s.request('POST', '/v1/api-keys', {
      token: s.creds.apiKey,
      body: { name: 'temp' },
    });
    expect(created.status).toBe(201);
    expect((await s.request('GET', '/v1/devices', { token: created.json.key })).status).toBe(200);
    expect(
      (await s.request('DELETE', `/v1/api-keys/${created.json.id}`, { token: s.creds.apiKey })).status,
    ).toBe(204);
    const res = await s.request('GET', '/v1/devices', { token: created.json.key });
    expect(res.status).toBe(401);
    const listed = await s.request('GET', '/v1/api-keys', { token: s.creds.apiKey });
    expect(JSON.stringify(listed.json)).not.toContain(created.json.key);
    expect(
      listed.json.apiKeys.find((k: { id: string }) => k.id === created.json.id).revokedAt,
    ).not.toBeNull();
  });

  it('keeps a send key to sending messages and a read key to reading, with 403s naming the scope needed', async () => {
    const key = async (scope: string) => {
      const created = await s.request('POST', '/v1/api-keys', {
        token: s.creds.apiKey,
        body: { name: `${scope} key`, scope },
      });
      expect(created.status).toBe(201);
      expect(created.json.scope).toBe(scope);
      return created.json.key as string;
    };
    const send = await key('send');
    const read = await key('read');
    expect(send).toMatch(/^ll_send_/);
    expect(read).toMatch(/^ll_read_/);

    const sent = await s.request('POST', '/v1/messages', {
      token: send,
      body: { to: '+447700900777', text: 'from the backend' },
      headers: { 'idempotency-key': 'scoped-1' },
    });
    expect(sent.status, JSON.stringify(sent.json)).toBe(201);
    expect((await s.request('GET', `/v1/messages/${sent.json.id}`, { token: send })).status).toBe(200);
    expect((await s.request('GET', `/v1/messages/${sent.json.id}`, { token: read })).status).toBe(200);
    expect((await s.request('GET', '/v1/devices', { token: read })).status).toBe(200);

    for (const [token, method, path, body, needs] of [
      [send, 'GET', '/v1/devices', undefined, 'read or admin'],
      [send, 'POST', '/v1/api-keys', { name: 'escalate', scope: 'admin' }, 'admin'],
      [read, 'POST', '/v1/messages', { to: '+447700900778', text: 'no' }, 'send or admin'],
      [read, 'PATCH', '/v1/workspace', { name: 'mine now' }, 'admin'],
      [read, 'DELETE', `/v1/api-keys/${s.creds.workspaceId}`, undefined, 'admin'],
    ] as const) {
      const res = await s.request(method, path, { token, body });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.json.error.code).toBe('insufficient_scope');
      expect(res.json.error.message).toContain(`needs a key with scope ${needs}`);
    }
    expect((await s.request('GET', '/v1/workspace', { token: s.creds.apiKey })).json.name).not.toBe(
      'mine now',
    );
    const bad = await s.request('POST', '/v1/api-keys', {
      token: s.creds.apiKey,
      body: { name: 'x', scope: 'root' },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error.field).toBe('scope');
    const listed = await s.request('GET', '/v1/api-keys', { token: read });
    expect(listed.json.apiKeys.map((k: { scope: string }) => k.scope)).toEqual(
      expect.arrayContaining(['admin', 'send', 'read']),
    );
  });

  it('stores secrets only as SHA-256 hashes', async () => {
    const { token, deviceId } = await s.enrollDevice('Hash check');
    const [row] = await s.deps.db.select().from(devices).where(eq(devices.id, deviceId));
    expect(row!.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(row)).not.toContain(token);
  });
});
