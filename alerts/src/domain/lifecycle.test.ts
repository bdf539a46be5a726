import { describe, expect, it } from 'vitest';
import { type AlertInstance, type LifecyclePolicy, stepAlert, type TransitionKind } from './lifecycle.ts';

const MIN = 60_000;
const policy: LifecyclePolicy = { forMs: 2 * MIN, repeatIntervalMs: 60 * MIN, clearForMs: MIN };

/** Runs a condition timeline (one evaluation a minute) and returns the transitions with their minutes. */
function run(active: boolean[], p = policy) {
  let instance: AlertInstance | undefined;
  const seen: [number, TransitionKind, boolean][] = [];
  active.forEach((a, minute) => {
    const s = stepAlert(instance, 'rule:device_offline:dev_1', a, minute * MIN, p);
    instance = s.next;
    if (s.transition) seen.push([minute, s.transition, s.notify]);
  });
  return { seen, instance };
}

describe('alert lifecycle', () => {
  it('waits `for` before firing, then resolves after staying clear, telling subscribers twice', () => {
    const { seen, instance } = run([false, true, true, true, true, false, false, false]);
    expect(seen).toEqual([
      [1, 'pending', false],
      [3, 'fire', true],
      [6, 'resolve', true],
    ]);
    expect(instance).toMatchObject({
      state: 'resolved',
      startedAt: MIN,
      firedAt: 3 * MIN,
      resolvedAt: 6 * MIN,
    });
  });

  it('drops a pending alert that clears before it fires, silently', () => {
    expect(run([true, false, false]).seen).toEqual([
      [0, 'pending', false],
      [1, 'cancel', false],
    ]);
  });

  it('fires at once with for = 0', () => {
    expect(run([true], { ...policy, forMs: 0 }).seen).toEqual([[0, 'fire', true]]);
  });

  it('sends no reminder once acknowledged, and still tells the resolution', () => {
    const fired = run(Array(5).fill(true)).instance!;
    expect(fired.state).toBe('firing');
    const acked: AlertInstance = { ...fired, acknowledgedAt: 5 * MIN };
    const remind = stepAlert(acked, fired.dedupeKey, true, 200 * MIN, policy);
    expect(remind).toMatchObject({ transition: null, notify: false });
    expect(stepAlert(fired, fired.dedupeKey, true, 200 * MIN, policy).transition).toBe('remind');
    const clearing = stepAlert(acked, fired.dedupeKey, false, 201 * MIN, policy).next!;
    expect(stepAlert(clearing, fired.dedupeKey, false, 202 * MIN, policy)).toMatchObject({
      transition: 'resolve',
      notify: true,
    });
  });

  it('reminds every repeat interval while firing', () => {
    const { seen } = run(Array(130).fill(true), { ...policy, forMs: 0 });
    expect(seen).toEqual([
      [0, 'fire', true],
      [60, 'remind', true],
      [120, 'remind', true],
    ]);
  });

  it('does not resolve on a one-minute blip inside clearFor (hysteresis), and keeps one alert', () => {
    const { seen } = run([true, false, true, true], { ...policy, forMs: 0, clearForMs: 2 * MIN });
    expect(seen).toEqual([[0, 'fire', true]]);
  });

  it('opens a new episode after resolving', () => {
    const { seen } = run([true, false, true], { ...policy, forMs: 0, clearForMs: 0 });
    expect(seen).toEqual([
      [0, 'fire', true],
      [1, 'resolve', true],
      [2, 'fire', true],
    ]);
  });
});
