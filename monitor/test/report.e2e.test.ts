/**
 * `GET /v1/reliability/report.csv`: a month of a phone's heartbeats and messages on the manual clock, then
 * the report: a row per UTC day, and a total that is the reliability API's own figure for the month.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tick } from '../src/tick.ts';
import { startTestServer, type TestServer } from './helpers.ts';
import { SendLedger, TestDevice } from './test-device.ts';

let s: TestServer;
const NOV = Date.UTC(2026, 10, 1);
const DEC = Date.UTC(2026, 11, 1);

beforeAll(async () => {
  s = await startTestServer(); // the clock starts 1 November 2026, 12:00 UTC
  const phone = await TestDevice.enroll(s, 'Report phone', new SendLedger());
  // Two hours of heartbeats and four messages (three delivered, one undelivered) on 1 November.
  for (let t = 0; t < 2 * 3_600_000; t += 30_000) {
    await phone.heartbeat();
    if (t === 60_000) {
      await s.request('POST', '/v1/messages/batch', {
        token: s.creds.apiKey,
        body: { messages: [1, 2, 3, 4].map((i) => ({ to: `+4477009000${i}`, text: `m${i}` })) },
      });
      const sent = await phone.submit(await phone.poll());
      await phone.complete(sent.slice(0, 3));
      await phone.complete(sent.slice(3), 'undelivered');
    }
    s.clock.advance(30_000);
    if (t % 300_000 === 0) await tick(s.deps, s.clock.now());
  }
  s.clock.set(DEC + 3_600_000); // 1 December: November is the last whole month
  await tick(s.deps, s.clock.now());
});
afterAll(() => s.close());

function parseCsv(text: string) {
  expect(text.endsWith('\r\n')).toBe(true);
  const [header, ...rows] = text
    .trimEnd()
    .split('\r\n')
    .map((line) => line.split(','));
  return { header: header!, rows: rows.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i]!]))) };
}

describe('GET /v1/reliability/report.csv', () => {
  it('has a row per day of the month and a total that is the API figure for the month', async () => {
    const res = await fetch(`${s.url}/v1/reliability/report.csv?month=2026-11`, {
      headers: { authorization: `Bearer ${s.creds.apiKey}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('content-disposition')).toContain('lifeline-reliability-2026-11.csv');
    const { header, rows } = parseCsv(await res.text());
    expect(header).toEqual([
      'date',
      'device_uptime',
      'device_online_hours',
      'device_observed_hours',
      'delivery_rate',
      'delivered',
      'delivery_outcomes',
    ]);
    expect(rows).toHaveLength(31); // 30 days and the total
    expect(rows[0]!.date).toBe('2026-11-01');
    expect(rows[29]!.date).toBe('2026-11-30');
    expect(rows[0]).toMatchObject({ delivered: '3', delivery_outcomes: '4', delivery_rate: '0.75' });
    expect(Number(rows[0]!.device_online_hours)).toBeGreaterThan(2);
    expect(rows[1]).toMatchObject({ delivered: '0', delivery_outcomes: '0', delivery_rate: '' });

    const total = rows[30]!;
    expect(total.date).toBe('total');
    const summary = await s.request('GET', `/v1/reliability/summary?from=${NOV}&to=${DEC}`, {
      token: s.creds.apiKey,
    });
    const custom = summary.json.custom;
    expect(Number(total.device_uptime)).toBeCloseTo(custom.devices.uptime, 6);
    expect(Number(total.delivery_rate)).toBeCloseTo(custom.delivery.deliveryRate, 6);
    expect(total.delivered).toBe(String(custom.delivery.delivered));
    // The days add up to the total.
    const sum = (k: string) => rows.slice(0, 30).reduce((a, r) => a + Number(r[k]), 0);
    expect(sum('delivered')).toBe(Number(total.delivered));
    expect(sum('device_observed_hours')).toBeCloseTo(Number(total.device_observed_hours), 2);
  });

  it('defaults to the last whole month, refuses a bad or future month naming it, and follows key scopes', async () => {
    const res = await s.request('GET', '/v1/reliability/report.csv', { token: s.creds.apiKey });
    expect(res.status).toBe(200);
    expect(res.json.split('\r\n')[1]).toMatch(/^2026-11-01,/);
    for (const month of ['2026-13', 'Nov-2026', '2027-01']) {
      const bad = await s.request('GET', `/v1/reliability/report.csv?month=${month}`, {
        token: s.creds.apiKey,
      });
      expect(bad.status, month).toBe(400);
      expect(bad.json.error.field).toBe('month');
    }
    const key = async (scope: string) =>
      (await s.request('POST', '/v1/api-keys', { token: s.creds.apiKey, body: { name: scope, scope } })).json
        .key;
    expect((await s.request('GET', '/v1/reliability/report.csv', { token: await key('read') })).status).toBe(
      200,
    );
    expect((await s.request('GET', '/v1/reliability/report.csv', { token: await key('send') })).status).toBe(
      403,
    );
  });
});
