import { describe, expect, it } from 'vitest';
import {
  DriverSettingsError,
  inTermux,
  smsGateFromSettings,
  smsGateOptionsFromSettings,
  termuxFromSettings,
  termuxOptionsFromSettings,
} from './engine-settings.ts';

const clock = { now: () => 0 };
const valid = { username: 'sms', password: 'p', webhookSigningKey: 'k' };

describe('driver settings', () => {
  it('builds smsgate options and refuses missing or wrong settings with the field name', () => {
    const options = smsGateOptionsFromSettings(
      {
        ...valid,
        baseUrl: 'http://127.0.0.1:8081',
        listenPort: 9090,
        withDeliveryReport: false,
        telemetry: 'none',
      },
      { clock },
    );
    expect(options).toMatchObject({
      ...valid,
      baseUrl: 'http://127.0.0.1:8081',
      listenPort: 9090,
      withDeliveryReport: false,
    });
    expect(options.telemetry).toBeUndefined();
    expect(() => smsGateOptionsFromSettings({ username: 'sms', password: 'p' }, { clock })).toThrow(
      /drivers\.smsgate\.webhookSigningKey is required/,
    );
    expect(() => smsGateOptionsFromSettings({ ...valid, baseUrl: 'https://x' }, { clock })).toThrow(
      DriverSettingsError,
    );
    expect(() => smsGateOptionsFromSettings({ ...valid, listenPort: -1 }, { clock })).toThrow(/listenPort/);
    expect(() => smsGateOptionsFromSettings({ ...valid, telemetry: 'yes' }, { clock })).toThrow(/telemetry/);
  });

  it('uses Termux:API telemetry inside Termux (auto) or when asked', () => {
    expect(inTermux({ PREFIX: '/data/data/com.termux/files/usr' })).toBe(true);
    expect(inTermux({})).toBe(false);
    const auto = smsGateOptionsFromSettings(valid, { clock, env: { TERMUX_VERSION: '0.118.1' } });
    expect(typeof auto.telemetry).toBe('function');
    expect(smsGateOptionsFromSettings(valid, { clock, env: {} }).telemetry).toBeUndefined();
    expect(
      typeof smsGateOptionsFromSettings({ ...valid, telemetry: 'termux' }, { clock, env: {} }).telemetry,
    ).toBe('function');
  });

  it('builds termux options and both drivers', () => {
    expect(termuxOptionsFromSettings({ sendTimeoutMs: 5000 }, { clock })).toMatchObject({
      sendTimeoutMs: 5000,
    });
    expect(() => termuxOptionsFromSettings({ confirmPollMs: 'fast' }, { clock })).toThrow(/confirmPollMs/);
    expect(smsGateFromSettings(valid, { clock }).name).toBe('smsgate');
    expect(termuxFromSettings({}, { clock }).name).toBe('termux');
  });
});
