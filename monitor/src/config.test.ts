import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, retentionFromEnv } from './config.ts';

describe('loadConfig', () => {
  it('has safe defaults for the embedded setup', () => {
    expect(loadConfig({})).toEqual({
      PORT: 8787,
      HOST: '127.0.0.1',
      DATABASE_URL: 'file:./data/lifeline.db',
      LOG_LEVEL: 'info',
      TICK_INTERVAL_S: 5,
      RETENTION_DAYS: 7,
      ROLLUP_RETENTION_DAYS: 400,
      MESSAGE_RETENTION_DAYS: 30,
      HEARTBEAT_INTERVAL_S: 30,
      ALERT_EMAIL_FROM: 'Lifeline <alerts@lifeline.invalid>',
      BACKUP_INTERVAL_H: 24,
      BACKUP_KEEP: 7,
    });
  });

  it('refuses a VAPID subject push services would not accept, naming it', () => {
    expect(() => loadConfig({ VAPID_SUBJECT: 'ops@example.com' })).toThrow(
      /VAPID_SUBJECT: must start with mailto: or https:\/\//,
    );
    expect(loadConfig({ VAPID_SUBJECT: 'mailto:ops@example.com' }).VAPID_SUBJECT).toBe(
      'mailto:ops@example.com',
    );
  });

  it('accepts remote libSQL URLs with a token', () => {
    const c = loadConfig({
      DATABASE_URL: 'libsql://db-org.turso.io',
      DATABASE_AUTH_TOKEN: 't',
      PORT: '9000',
    });
    expect(c).toMatchObject({
      DATABASE_URL: 'libsql://db-org.turso.io',
      DATABASE_AUTH_TOKEN: 't',
      PORT: 9000,
    });
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'postgres://x'],
    ['LOG_LEVEL', 'loud'],
    ['PUBLIC_URL', 'not a url'],
    ['BACKUP_INTERVAL_H', '0'],
    ['BACKUP_KEEP', 'all'],
  ])('refuses a bad %s and names it', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`${name}:`));
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '' }).PORT).toBe(8787);
  });
});

describe('retentionFromEnv', () => {
  it('reads the retention settings alone, with the same defaults and bounds (a Worker env holds bindings too)', () => {
    expect(retentionFromEnv({ DB: { prepare() {} }, LOG_LEVEL: 'warn' })).toEqual({
      rawDays: 7,
      rollupDays: 400,
      messageDays: 30,
    });
    expect(retentionFromEnv({ RETENTION_DAYS: '3', MESSAGE_RETENTION_DAYS: '90' })).toMatchObject({
      rawDays: 3,
      messageDays: 90,
    });
    expect(() => retentionFromEnv({ MESSAGE_RETENTION_DAYS: '7' })).toThrow(/MESSAGE_RETENTION_DAYS:/);
  });
});
