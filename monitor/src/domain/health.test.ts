import { describe, expect, it } from 'vitest';
import type { HeartbeatBody } from '../contract/heartbeat.ts';
import { deviceHealth } from './health.ts';

const NOW = 1_000_000_000;
const base: HeartbeatBody = {
  runId: 'r',
  seq: 1,
  monotonicMs: 1,
  bootId: 'b',
  deviceTime: NOW,
  appVersion: '1',
  driver: { name: 'smsgate', status: 'pass' },
  battery: { percent: 80, charging: true, temperatureC: 30 },
  sims: [{ slot: 0, carrier: 'X', signalDbm: -80 }],
  queue: { depth: 0 },
};
const codes = (h: ReturnType<typeof deviceHealth>) => h.reasons.map((r) => `${r.code}:${r.status}`);

describe('deviceHealth', () => {
  it('passes a healthy online device', () => {
    expect(deviceHealth('online', base, NOW)).toEqual({ status: 'pass', reasons: [] });
  });
  it('reports agent_down, failing when offline and warning when suspect', () => {
    expect(codes(deviceHealth('offline', base, NOW))).toEqual(['agent_down:fail']);
    expect(codes(deviceHealth('suspect', base, NOW))).toEqual(['agent_down:warn']);
  });
  it('reports engine_down when the SMS engine fails', () => {
    const h = deviceHealth('online', { ...base, driver: { name: 'smsgate', status: 'fail' } }, NOW);
    expect(h.status).toBe('fail');
    expect(codes(h)).toEqual(['engine_down:fail']);
  });
  it('reports sms_path_down when messages wait and nothing was sent for too long', () => {
    const h = deviceHealth(
      'online',
      { ...base, queue: { depth: 4, oldestPendingAgeS: 900 }, lastSendSuccessAt: NOW - 900_000 },
      NOW,
    );
    expect(codes(h)).toEqual(['sms_path_down:fail']);
  });
  it('a backlog that still drains is only degraded', () => {
    const h = deviceHealth(
      'online',
      { ...base, queue: { depth: 4, oldestPendingAgeS: 400 }, lastSendSuccessAt: NOW - 1_000 },
      NOW,
    );
    expect(codes(h)).toEqual(['degraded:warn']);
  });
  it('reports low battery (only when not charging), heat and weak signal as degraded', () => {
    expect(codes(deviceHealth('online', { ...base, battery: { percent: 10, charging: true } }, NOW))).toEqual(
      [],
    );
    const h = deviceHealth(
      'online',
      {
        ...base,
        battery: { percent: 10, charging: false, temperatureC: 48 },
        sims: [{ slot: 0, signalDbm: -115 }],
      },
      NOW,
    );
    expect(h.status).toBe('warn');
    expect(codes(h)).toEqual(['degraded:warn', 'degraded:warn', 'degraded:warn']);
  });
  it('an offline device is judged only by its silence, not by its stale last report', () => {
    const h = deviceHealth('offline', { ...base, driver: { name: 'x', status: 'fail' } }, NOW);
    expect(codes(h)).toEqual(['agent_down:fail']);
  });
});
