import { describe, expect, it } from 'vitest';
import type { ProbeKindForm, ProbeView } from '../read-model.ts';
import { kindLabel, latencySummary, readProbeForm, shownValue, targetOf } from './probes.ts';

const http: ProbeKindForm = {
  kind: 'http',
  fields: [
    { path: 'url', input: 'text', required: true, description: null },
    { path: 'method', input: 'select', required: false, description: null, options: ['GET', 'HEAD'] },
    { path: 'headers', input: 'map', required: false, description: null },
    { path: 'expectStatus.min', input: 'integer', required: false, description: null, default: 200 },
    { path: 'expectStatus.max', input: 'integer', required: false, description: null, default: 399 },
    { path: 'keywordAbsent', input: 'checkbox', required: false, description: null },
    { path: 'jsonPath.equals', input: 'json', required: false, description: null },
  ],
  secrets: [{ name: 'secretHeaders', description: null, required: false, input: 'map' }],
  settings: ['intervalMs', 'timeoutMs', 'retries', 'allowPrivate'],
  defaults: { intervalMs: 60_000, timeoutMs: 10_000, retries: 1 },
};
const whatsapp: ProbeKindForm = {
  kind: 'whatsapp',
  fields: [{ path: 'nodeId', input: 'text', required: true, description: null }],
  secrets: [{ name: 'accessToken', description: null, required: true, input: 'text' }],
  settings: ['intervalMs'],
  defaults: { intervalMs: 60_000, timeoutMs: 10_000, retries: 1 },
};
const canary: ProbeKindForm = {
  kind: 'sms_canary',
  fields: [
    { path: 'fromDeviceId', input: 'text', required: true, description: null },
    { path: 'toNumber', input: 'text', required: true, description: null },
  ],
  secrets: [],
  settings: ['intervalMs', 'timeoutMs'],
  defaults: { intervalMs: 900_000, timeoutMs: 300_000, retries: 0 },
};

const form = (entries: Record<string, string>) => {
  const f = new FormData();
  for (const [k, v] of Object.entries(entries)) f.append(k, v);
  return f;
};

describe('probe forms', () => {
  it('reads a new probe as the API takes it: nested settings, headers, JSON values, seconds as ms', () => {
    const r = readProbeForm(
      http,
      form({
        name: ' API ',
        componentId: '',
        'c.url': 'https://example.com/health',
        'c.method': '',
        'c.headers': 'Accept: application/json\nX-Token:  a:b ',
        'c.expectStatus.min': '200',
        'c.expectStatus.max': '204',
        'c.keywordAbsent': 'on',
        'c.jsonPath.equals': 'true',
        intervalS: '30',
        timeoutS: '2.5',
        retries: '',
      }),
      false,
    );
    expect(r).toEqual({
      body: {
        kind: 'http',
        name: 'API',
        config: {
          url: 'https://example.com/health',
          headers: { Accept: 'application/json', 'X-Token': 'a:b' },
          expectStatus: { min: 200, max: 204 },
          keywordAbsent: true,
          jsonPath: { equals: true },
        },
        intervalMs: 30_000,
        timeoutMs: 2_500,
      },
    });
  });

  it('on a change: no component is null, the private box is sent either way, an empty secret keeps the stored one', () => {
    const r = readProbeForm(whatsapp, form({ name: 'WA', 'c.nodeId': '123', 's.accessToken': '' }), true);
    expect(r).toEqual({ body: { name: 'WA', componentId: null, config: { nodeId: '123' } } });
    const typed = readProbeForm(
      whatsapp,
      form({ name: 'WA', 'c.nodeId': '123', 's.accessToken': 'EAAB…' }),
      true,
    );
    expect(typed).toMatchObject({ body: { accessToken: 'EAAB…' } });
    const h = readProbeForm(http, form({ name: 'x', 'c.url': 'https://a.example' }), true);
    expect(h).toMatchObject({ body: { allowPrivate: false } });
    expect(h).not.toHaveProperty('body.secretHeaders');
    const secret = readProbeForm(
      http,
      form({ name: 'x', 'c.url': 'https://a.example', 's.secretHeaders': 'Authorization: Bearer t0k3n\n' }),
      true,
    );
    expect(secret).toMatchObject({ body: { secretHeaders: { Authorization: 'Bearer t0k3n' } } });
    expect(readProbeForm(http, form({ name: 'x', 's.secretHeaders': 'Bearer t0k3n' }), true)).toEqual({
      error: 'Secret headers (Name: value, one a line): write one “Name: value” a line.',
    });
  });

  it('leaves refusals to the schema (NaN for a number that is not one) but words a malformed header', () => {
    expect(readProbeForm(http, form({ name: 'x', intervalS: 'soon' }), false)).toMatchObject({
      body: { intervalMs: Number.NaN },
    });
    expect(readProbeForm(http, form({ name: 'x', 'c.headers': 'no colon' }), false)).toEqual({
      error: 'Request headers (Name: value, one a line): write one “Name: value” a line.',
    });
  });

  it('shows a stored config back in its fields', () => {
    const config = {
      url: 'https://a',
      headers: { A: '1' },
      expectStatus: { min: 200, max: 299 },
      keywordAbsent: true,
    };
    expect(http.fields.map((f) => shownValue(f, config))).toEqual([
      'https://a',
      '',
      'A: 1',
      '200',
      '299',
      true,
      '',
    ]);
    expect(shownValue(http.fields[6]!, { jsonPath: { equals: null } })).toBe('null');
  });

  it('names a target by URL, else by its required settings (phones by name), and any kind by a label', () => {
    const probe = (kind: string, config: Record<string, unknown>) => ({ kind, config }) as ProbeView;
    const names = new Map([['dev_1', 'Shop phone']]);
    expect(targetOf(probe('http', { url: 'https://a' }), http, names)).toBe('https://a');
    expect(
      targetOf(probe('sms_canary', { fromDeviceId: 'dev_1', toNumber: '+447700900123' }), canary, names),
    ).toBe('Shop phone → +447700900123');
    expect(targetOf(probe('self', {}), undefined, names)).toBe('this server');
    expect(kindLabel('sms_canary')).toBe('SMS canary');
    expect(kindLabel('smtp_relay')).toBe('Smtp relay');
  });

  it('sums up latency: median and last, ignoring untimed runs', () => {
    expect(
      latencySummary([{ latencyMs: 30 }, { latencyMs: null }, { latencyMs: 10 }, { latencyMs: 20 }]),
    ).toEqual({
      median: 20,
      last: 20,
    });
    expect(latencySummary([{ latencyMs: null }])).toEqual({ median: null, last: null });
  });
});
