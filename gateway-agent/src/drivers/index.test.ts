import { describe, expect, it } from 'vitest';
import { systemClock } from '../clock.ts';
import { type DriverContext, driverFactories, driverNames } from './index.ts';

const ctx = (settings: Record<string, unknown>): DriverContext => ({
  home: '/tmp',
  settings,
  clock: systemClock,
  resolve: (p) => p,
  log: () => {},
});

describe('the driver registry', () => {
  it('offers every engine the agent supports', () => {
    expect(driverNames().sort()).toEqual(['simulated', 'smsgate', 'termux']);
  });

  it('builds smsgate from its settings, refusing missing credentials by name', async () => {
    await expect(async () => driverFactories.smsgate!(ctx({}))).rejects.toThrow(/drivers\.smsgate\.username/);
    const driver = await driverFactories.smsgate!(
      ctx({ username: 'sms', password: 'secret', webhookSigningKey: 'k', telemetry: 'none' }),
    );
    expect(driver.name).toBe('smsgate');
    expect(driver.capabilities).toEqual({ sentReports: true, deliveryReports: true, simChoice: true });
  });

  it('builds termux with no settings, and says it cannot report delivery', async () => {
    const driver = await driverFactories.termux!(ctx({}));
    expect(driver.name).toBe('termux');
    expect(driver.capabilities.deliveryReports).toBe(false);
  });
});
