import { describe, expect, it } from 'vitest';
import { recipientsOfFiring, recipientsOfRecovery, type Subscription } from './subscriptions.ts';
import { suppressionOf } from './suppression.ts';

const subject = { ruleId: 'r_offline', deviceId: 'dev_1', componentIds: ['cmp_devices'] };

describe('suppression', () => {
  it('holds back notifications inside a maintenance window of the workspace or of the component', () => {
    const whole = { id: 'm1', startsAt: 100, endsAt: 200, componentIds: null };
    const other = { id: 'm2', startsAt: 100, endsAt: 200, componentIds: ['cmp_carrier'] };
    const mine = { id: 'm3', startsAt: 100, endsAt: 200, componentIds: ['cmp_devices'] };
    expect(suppressionOf(subject, 150, [], [whole])).toEqual({ by: 'maintenance', id: 'm1' });
    expect(suppressionOf(subject, 150, [], [other])).toBeNull();
    expect(suppressionOf(subject, 150, [], [mine])).toEqual({ by: 'maintenance', id: 'm3' });
    expect(suppressionOf(subject, 200, [], [whole])).toBeNull(); // ends exclusive
    expect(suppressionOf(subject, 99, [], [whole])).toBeNull();
  });

  it('matches silences by rule, device and component, until they expire', () => {
    const base = { startsAt: 0, endsAt: 1_000 };
    expect(suppressionOf(subject, 10, [{ id: 's', ...base, deviceId: 'dev_1' }], [])).toEqual({
      by: 'silence',
      id: 's',
    });
    expect(suppressionOf(subject, 10, [{ id: 's', ...base, deviceId: 'dev_2' }], [])).toBeNull();
    expect(
      suppressionOf(subject, 10, [{ id: 's', ...base, ruleId: 'r_offline', componentId: 'cmp_devices' }], []),
    ).not.toBeNull();
    expect(suppressionOf(subject, 10, [{ id: 's', ...base, ruleId: 'r_other' }], [])).toBeNull();
    expect(suppressionOf(subject, 1_000, [{ id: 's', ...base }], [])).toBeNull();
  });
});

describe('subscriptions', () => {
  const sub = (id: string, over: Partial<Subscription> = {}): Subscription => ({
    id,
    channel: 'web_push',
    severities: [],
    ruleIds: [],
    deviceIds: [],
    delayMs: 0,
    enabled: true,
    ...over,
  });
  const alert = { ruleId: 'r_offline', severity: 'page' as const, deviceId: 'dev_1', firedAt: 1_000 };

  it('filters by severity, rule and device, and delays email for extended downtime', () => {
    const subs = [
      sub('push'),
      sub('email', { channel: 'email', delayMs: 15 * 60_000 }),
      sub('tickets', { severities: ['ticket'] }),
      sub('other-device', { deviceIds: ['dev_9'] }),
      sub('off', { enabled: false }),
    ];
    expect(recipientsOfFiring(subs, alert)).toEqual([
      { subscriptionId: 'push', dueAt: 1_000 },
      { subscriptionId: 'email', dueAt: 1_000 + 15 * 60_000 },
    ]);
  });

  it('tells of a recovery only those told of the firing', () => {
    expect(
      recipientsOfRecovery(new Set(['push']), [sub('push'), sub('email', { channel: 'email' })]),
    ).toEqual(['push']);
  });
});
