/**
 * The audit log: each change an API key asks for is recorded with the key, the route, the id, the names of
 * the fields (never their values) and the status, refusals included; reads and the messages data plane are
 * not; a key sees only its own workspace's log, newest first, paged.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers.ts';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(() => s.close());

describe('the audit log', () => {
  it('records who changed what, never the values, and refusals; not reads or sent messages', async () => {
    const admin = s.creds.apiKey;
    const { deviceId } = await s.enrollDevice('Audited phone');
    const before = (await s.request('GET', '/v1/audit-log', { token: admin })).json.events.length;
    expect(
      (
        await s.request('PATCH', `/v1/devices/${deviceId}`, {
          token: admin,
          body: { name: 'Secret name', paused: true },
        })
      ).status,
    ).toBe(200);
    const read = await s.request('POST', '/v1/api-keys', {
      token: admin,
      body: { name: 'Grafana', scope: 'read' },
    });
    expect(read.status).toBe(201);
    expect(
      (await s.request('PATCH', '/v1/workspace', { token: read.json.key, body: { name: 'x' } })).status,
    ).toBe(403);
    expect((await s.request('GET', '/v1/devices', { token: admin })).status).toBe(200);
    expect(
      (await s.request('POST', '/v1/messages', { token: admin, body: { to: '+447700900999', text: 'hi' } }))
        .status,
    ).toBe(201);

    const log = await s.request('GET', '/v1/audit-log', { token: read.json.key });
    expect(log.status).toBe(200);
    const events = log.json.events.slice(0, log.json.events.length - before);
    expect(events.map((e: { action: string; status: number }) => `${e.action} ${e.status}`)).toEqual([
      'PATCH /v1/workspace 403',
      'POST /v1/api-keys 201',
      'PATCH /v1/devices/:id 200',
    ]);
    const [refused, created, patched] = events;
    expect(refused.actor).toEqual({
      kind: 'api_key',
      id: expect.stringMatching(/^key_/),
      label: expect.stringMatching(/^Grafana \(ll_read_/),
    });
    expect(refused.fields).toEqual(['name']);
    expect(created.actor.label).toMatch(/^First admin key \(ll_admin_/);
    expect(created.fields).toEqual(['name', 'scope']);
    expect(patched).toMatchObject({
      target: deviceId,
      fields: ['name', 'paused'],
      requestId: expect.any(String),
    });
    expect(JSON.stringify(log.json)).not.toContain('Secret name');
    expect(JSON.stringify(log.json)).not.toContain(read.json.key);
  });

  it('pages newest first, and keeps each workspace to its own log', async () => {
    for (const name of ['a', 'b', 'c'])
      await s.request('POST', '/v1/api-keys', { token: s.creds.apiKey, body: { name } });
    const first = await s.request('GET', '/v1/audit-log?limit=2', { token: s.creds.apiKey });
    expect(first.json.events).toHaveLength(2);
    expect(first.json.nextCursor).toBe(first.json.events[1].id);
    const second = await s.request('GET', `/v1/audit-log?limit=2&before=${first.json.nextCursor}`, {
      token: s.creds.apiKey,
    });
    const seq = (id: string) => Number(id.slice('aud_'.length));
    expect(seq(second.json.events[0].id)).toBe(seq(first.json.events[1].id) - 1);
    const other = await s.createWorkspace('audit-other');
    expect((await s.request('GET', '/v1/audit-log', { token: other.apiKey })).json.events).toEqual([]);
    expect((await s.request('GET', '/v1/audit-log?limit=500', { token: s.creds.apiKey })).status).toBe(400);
    const bad = await s.request('GET', '/v1/audit-log?before=key_1', { token: s.creds.apiKey });
    expect(bad.status).toBe(400);
    expect(bad.json.error.field).toBe('before');
  });

  it('writes a change’s row before the change: no change without its row, an unfinished one says so', async () => {
    const admin = s.creds.apiKey;
    const { deviceId } = await s.enrollDevice('Before-and-after phone');
    const name = async () =>
      (await s.request('GET', `/v1/devices/${deviceId}`, { token: admin })).json.name as string;
    const rename = () =>
      s.request('PATCH', `/v1/devices/${deviceId}`, { token: admin, body: { name: 'Renamed' } });
    /** Runs `body` while the database refuses writes of `kind` to the audit log (as a full disk would). */
    async function whileAuditRefuses<T>(kind: 'INSERT' | 'UPDATE', body: () => Promise<T>): Promise<T> {
      await s.deps.db.run(
        sql.raw(
          `CREATE TRIGGER audit_down BEFORE ${kind} ON audit_events BEGIN SELECT RAISE(ABORT, 'disk full'); END`,
        ),
      );
      try {
        return await body();
      } finally {
        await s.deps.db.run(sql.raw('DROP TRIGGER audit_down'));
      }
    }

    // The row cannot be written: the change is not made.
    const refused = await whileAuditRefuses('INSERT', rename);
    expect(refused.status).toBe(503);
    expect(refused.json.error.code).toBe('audit_unavailable');
    expect(await name()).toBe('Before-and-after phone');

    // The change is made, then completing its row fails (as a crash in between would leave it): the row
    // is there, its outcome unknown.
    expect((await whileAuditRefuses('UPDATE', rename)).status).toBe(200);
    expect(await name()).toBe('Renamed');
    const [latest] = (await s.request('GET', '/v1/audit-log', { token: admin })).json.events;
    expect(latest).toMatchObject({
      action: 'PATCH /v1/devices/:id',
      target: deviceId,
      fields: ['name'],
      status: null,
    });
  });
});
