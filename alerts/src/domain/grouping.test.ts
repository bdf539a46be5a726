import { describe, expect, it } from 'vitest';
import { type GroupingPolicy, planGroups, type QueuedNotification } from './grouping.ts';

const policy: GroupingPolicy = { groupWaitMs: 5_000, groupIntervalMs: 300_000 };

const n = (id: string, over: Partial<QueuedNotification> = {}): QueuedNotification => ({
  id,
  subscriptionId: 'sub_a',
  groupKey: 'device_offline',
  kind: 'fire',
  subject: `Phone ${id}`,
  ruleName: 'Device offline',
  dueAt: 0,
  ...over,
});

describe('grouping', () => {
  it('sends five simultaneous offline devices as one message after the group wait', () => {
    const queued = ['1', '2', '3', '4', '5'].map((id, i) => n(id, { dueAt: i * 500 }));
    expect(planGroups(queued, new Map(), 4_000, policy)).toEqual({ send: [], wakeAt: 5_000 });
    const plan = planGroups(queued, new Map(), 5_000, policy);
    expect(plan.send).toHaveLength(1);
    expect(plan.send[0]!.title).toBe('Device offline: 5 firing');
    expect(plan.send[0]!.notificationIds).toEqual(['1', '2', '3', '4', '5']);
    expect(plan.send[0]!.lines[0]).toBe('Phone 1: firing');
  });

  it('keeps subscribers and rules apart', () => {
    const queued = [
      n('1'),
      n('2', { subscriptionId: 'sub_b' }),
      n('3', { groupKey: 'queue_backlog', ruleName: 'Queue backlog' }),
    ];
    const plan = planGroups(queued, new Map(), policy.groupWaitMs, policy);
    expect(plan.send.map((m) => m.title).sort()).toEqual([
      'Device offline: Phone 1 (firing)',
      'Device offline: Phone 2 (firing)',
      'Queue backlog: Phone 3 (firing)',
    ]);
  });

  it('sends new firing news after the wait even if the group just went out, but holds recoveries to the interval', () => {
    const last = new Map([['sub_a|device_offline', 0]]);
    const fire = planGroups([n('6', { dueAt: 60_000 })], last, 65_000, policy);
    expect(fire.send).toHaveLength(1);
    const resolve = planGroups([n('1', { kind: 'resolve', dueAt: 60_000 })], last, 65_000, policy);
    expect(resolve).toEqual({ send: [], wakeAt: 300_000 });
    expect(
      planGroups([n('1', { kind: 'resolve', dueAt: 60_000 })], last, 300_000, policy).send[0]!.title,
    ).toBe('Device offline: Phone 1 (resolved)');
  });

  it('counts kinds in a mixed group and waits for notifications not yet due', () => {
    const queued = [
      n('1'),
      n('2', { kind: 'resolve' }),
      n('3', { kind: 'resolve' }),
      n('4', { dueAt: 90_000 }),
    ];
    const plan = planGroups(queued, new Map(), 10_000, policy);
    expect(plan.send[0]!.title).toBe('Device offline: 1 firing, 2 resolved');
    expect(plan.wakeAt).toBe(90_000);
  });
});
