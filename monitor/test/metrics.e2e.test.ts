/**
 * `GET /v1/metrics`: a Prometheus scrape of the workspace with a read-only key, over real HTTP, after a
 * phone heartbeats and a message waits; every line is valid exposition format, and the figures are the
 * API's own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { heartbeat, startTestServer, type TestServer } from './helpers.ts';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(() => s.close());

/** Parses the exposition text strictly: HELP/TYPE lines, then `name{labels} value` samples. */
function parse(text: string) {
  const samples: { name: string; labels: Record<string, string>; value: number }[] = [];
  const types = new Map<string, string>();
  expect(text.endsWith('\n')).toBe(true);
  for (const line of text.slice(0, -1).split('\n')) {
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta) {
      if (meta[1] === 'TYPE') types.set(meta[2]!, meta[3]!);
      continue;
    }
    const m =
      /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\["\\n])*",?)*)\})? (\S+)$/.exec(
        line,
      );
    expect(m, line).not.toBeNull();
    const labels: Record<string, string> = {};
    for (const l of (m![2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1]!] = l[2]!.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
    expect(types.has(m![1]!), `${m![1]} has a TYPE line before its samples`).toBe(true);
    samples.push({ name: m![1]!, labels, value: Number(m![3]) });
  }
  return samples;
}

describe('GET /v1/metrics', () => {
  it("exposes the workspace's phones, messages, layers, components and alerts to a read-only key", async () => {
    const { deviceId, token } = await s.enrollDevice('Till "front" phone');
    await s.request('POST', '/v1/heartbeats', { token, body: heartbeat({ runId: 'm', seq: 0 }) });
    s.clock.advance(60_000); // a minute of observed time, so the layers have figures
    const hb = await s.request('POST', '/v1/heartbeats', {
      token,
      body: heartbeat({
        runId: 'm',
        seq: 1,
        battery: { percent: 64, charging: false },
        sims: [
          { slot: 0, carrier: 'Vodafone UK', signalDbm: -95 },
          { slot: 1, carrier: 'EE', signalDbm: -71 },
        ],
        queue: { depth: 3 },
      }),
    });
    expect(hb.status).toBe(202);
    const sent = await s.request('POST', '/v1/messages', {
      token: s.creds.apiKey,
      body: { to: '+447700900123', text: 'waiting' },
    });
    expect(sent.status).toBe(201);
    const key = await s.request('POST', '/v1/api-keys', {
      token: s.creds.apiKey,
      body: { name: 'Prometheus', scope: 'read' },
    });

    const res = await fetch(`${s.url}/v1/metrics`, { headers: { authorization: `Bearer ${key.json.key}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const samples = parse(await res.text());
    const one = (name: string, labels: Record<string, string> = {}) =>
      samples.find((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v))
        ?.value;

    expect(one('lifeline_device_info', { device_id: deviceId, device_name: 'Till "front" phone' })).toBe(1);
    expect(one('lifeline_device_liveness', { device_id: deviceId, state: 'online' })).toBe(1);
    expect(one('lifeline_device_liveness', { device_id: deviceId, state: 'offline' })).toBe(0);
    expect(one('lifeline_device_last_seen_timestamp_seconds', { device_id: deviceId })).toBe(
      s.clock.now() / 1000,
    );
    expect(one('lifeline_device_battery_percent', { device_id: deviceId })).toBe(64);
    expect(one('lifeline_device_charging', { device_id: deviceId })).toBe(0);
    expect(one('lifeline_device_signal_dbm', { device_id: deviceId })).toBe(-71);
    expect(one('lifeline_device_queue_depth', { device_id: deviceId })).toBe(3);
    expect(one('lifeline_messages_in_flight', { status: 'queued' })).toBe(1);
    expect(one('lifeline_messages_in_flight', { status: 'sent' })).toBe(0);
    // The component states match the status page's JSON twin.
    const summary = (await s.request('GET', '/api/v2/summary.json')).json;
    for (const c of summary.components.filter((x: { group: boolean }) => !x.group))
      expect(one('lifeline_component_status', { component: c.name, status: c.status }), c.name).toBe(1);
    expect(one('lifeline_alerts_open', { state: 'firing' })).toBe(0);
    // The layers over the last hour are the reliability API's.
    const figures = (await s.request('GET', '/v1/reliability/summary', { token: s.creds.apiKey })).json;
    expect(figures.windows['1h'].devices.uptime).toBeGreaterThan(0);
    expect(one('lifeline_device_connectivity_uptime_ratio', { window: '1h' })).toBe(
      figures.windows['1h'].devices.uptime,
    );
  });

  it('is refused to a send-only key and without a key', async () => {
    const send = await s.request('POST', '/v1/api-keys', {
      token: s.creds.apiKey,
      body: { name: 'backend', scope: 'send' },
    });
    expect((await s.request('GET', '/v1/metrics', { token: send.json.key })).status).toBe(403);
    expect((await s.request('GET', '/v1/metrics')).status).toBe(401);
  });

  it("shows only the key's own workspace", async () => {
    const other = await s.createWorkspace('metrics-other');
    const res = await fetch(`${s.url}/v1/metrics`, { headers: { authorization: `Bearer ${other.apiKey}` } });
    const text = await res.text();
    expect(text).not.toContain('Till');
    expect(parse(text).filter((x) => x.name === 'lifeline_device_info')).toEqual([]);
  });
});
