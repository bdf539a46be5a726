import { messageEvents, messages } from '@lifeline/db/schema';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers.ts';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s.close();
});

const receipt = (messageId: string, status: string, extra: Record<string, unknown> = {}) => ({
  messageId,
  attempt: 1,
  status,
  at: s.clock.now(),
  ...extra,
});

async function messageRow(id: string) {
  const [row] = await s.deps.db.select().from(messages).where(eq(messages.id, id));
  return row!;
}
async function eventsOf(id: string) {
  return s.deps.db
    .select()
    .from(messageEvents)
    .where(eq(messageEvents.messageId, id))
    .orderBy(messageEvents.id);
}

describe('POST /v1/receipts', () => {
  it('applies receipts through the state machine, idempotently, and never backwards', async () => {
    const { deviceId, token, workspaceId } = await s.enrollDevice();
    const id = await s.seedLeasedMessage(workspaceId, deviceId);

    const first = await s.request('POST', '/v1/receipts', {
      token,
      body: { receipts: [receipt(id, 'submitted'), receipt(id, 'sent', { parts: 2 })] },
    });
    expect(first.status).toBe(200);
    expect(first.json.results.map((r: { outcome: string }) => r.outcome)).toEqual(['applied', 'applied']);
    expect(first.json.results[1].state).toBe('sent');
    let row = await messageRow(id);
    expect(row).toMatchObject({ status: 'sent', submittedAt: s.clock.now(), sentAt: s.clock.now() });
    expect(row.deadlineAt).toBeGreaterThan(s.clock.now());

    // The same batch again (an agent retrying after a lost answer): one effect.
    const again = await s.request('POST', '/v1/receipts', {
      token,
      body: { receipts: [receipt(id, 'submitted'), receipt(id, 'sent', { parts: 2 })] },
    });
    expect(again.json.results.map((r: { outcome: string }) => r.outcome)).toEqual(['duplicate', 'duplicate']);
    expect(await eventsOf(id)).toHaveLength(2);

    s.clock.advance(5_000);
    const delivered = await s.request('POST', '/v1/receipts', {
      token,
      body: { receipts: [receipt(id, 'delivered')] },
    });
    expect(delivered.json.results[0]).toMatchObject({ outcome: 'applied', state: 'delivered' });
    row = await messageRow(id);
    expect(row).toMatchObject({ status: 'delivered', completedAt: s.clock.now(), deadlineAt: null });

    // A late, out-of-order failure report is stored as an event but does not move the message.
    const late = await s.request('POST', '/v1/receipts', {
      token,
      body: { receipts: [receipt(id, 'failed', { errorCode: 'RESULT_ERROR_GENERIC_FAILURE' })] },
    });
    expect(late.json.results[0]).toMatchObject({ outcome: 'stale', state: 'delivered' });
    expect((await messageRow(id)).status).toBe('delivered');
    const events = await eventsOf(id);
    expect(events.map((e) => [e.status, e.applied])).toEqual([
      ['submitted', true],
      ['sent', true],
      ['delivered', true],
      ['failed', false],
    ]);
    expect(events[3]!.errorCode).toBe('RESULT_ERROR_GENERIC_FAILURE');
  });

  it('refuses receipts for messages the device does not hold, including another workspace’s, and writes nothing', async () => {
    const a = await s.enrollDevice('A');
    const other = await s.createWorkspace('other-ws');
    const b = await s.enrollDevice('B', other.apiKey);
    expect(b.workspaceId).toBe(other.workspaceId);
    const theirs = await s.seedLeasedMessage(b.workspaceId, b.deviceId);
    const sameWorkspaceOtherDevice = await s.seedLeasedMessage(
      a.workspaceId,
      (await s.enrollDevice('C')).deviceId,
    );

    const res = await s.request('POST', '/v1/receipts', {
      token: a.token,
      body: {
        receipts: [
          receipt(theirs, 'sent'),
          receipt(sameWorkspaceOtherDevice, 'sent'),
          receipt('msg_nope', 'sent'),
        ],
      },
    });
    expect(res.status).toBe(200);
    for (const r of res.json.results) {
      expect(r.outcome).toBe('rejected');
      expect(r.error.code).toBe('message_not_found');
      expect(r.state).toBeUndefined();
    }
    expect((await messageRow(theirs)).status).toBe('leased');
    expect(await eventsOf(theirs)).toHaveLength(0);
    expect(await eventsOf(sameWorkspaceOtherDevice)).toHaveLength(0);
  });

  it('treats a receipt for an old lease attempt as stale', async () => {
    const { deviceId, token, workspaceId } = await s.enrollDevice();
    const id = await s.seedLeasedMessage(workspaceId, deviceId, 2);
    const res = await s.request('POST', '/v1/receipts', {
      token,
      body: { receipts: [receipt(id, 'submitted')] },
    });
    expect(res.json.results[0]).toMatchObject({ outcome: 'stale', state: 'leased' });
    expect((await messageRow(id)).status).toBe('leased');
  });

  it('records an honest unknown as delivery_unknown, which a late delivery report can still settle', async () => {
    const { deviceId, token, workspaceId } = await s.enrollDevice();
    const id = await s.seedLeasedMessage(workspaceId, deviceId);
    const unknown = await s.request('POST', '/v1/receipts', {
      token,
      body: { receipts: [receipt(id, 'unknown')] },
    });
    expect(unknown.json.results[0]).toMatchObject({ outcome: 'applied', state: 'delivery_unknown' });
    const late = await s.request('POST', '/v1/receipts', {
      token,
      body: { receipts: [receipt(id, 'delivered')] },
    });
    expect(late.json.results[0]).toMatchObject({ outcome: 'applied', state: 'delivered' });
  });
});

describe('workspace isolation', () => {
  it('never shows or changes one workspace’s devices through another’s key', async () => {
    const other = await s.createWorkspace('isolated-ws');
    const mine = await s.enrollDevice('Mine');
    const theirs = await s.enrollDevice('Theirs', other.apiKey);

    const list = await s.request('GET', '/v1/devices?limit=200', { token: other.apiKey });
    expect(list.json.devices.map((d: { id: string }) => d.id)).toEqual([theirs.deviceId]);
    expect((await s.request('GET', `/v1/devices/${mine.deviceId}`, { token: other.apiKey })).status).toBe(
      404,
    );
    const patch = await s.request('PATCH', `/v1/devices/${mine.deviceId}`, {
      token: other.apiKey,
      body: { paused: true },
    });
    expect(patch.status).toBe(404);
    expect((await s.request('DELETE', `/v1/devices/${mine.deviceId}`, { token: other.apiKey })).status).toBe(
      404,
    );
    const still = await s.request('GET', `/v1/devices/${mine.deviceId}`, { token: s.creds.apiKey });
    expect(still.json.status).toBe('active');
  });
});
