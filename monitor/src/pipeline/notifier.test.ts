import { describe, expect, it } from 'vitest';
import { type RoutingPassOutcome, WorkNotifier } from './notifier.ts';

const WS = 'ws_1';
const FOREVER = 60_000;

/** Settles when `p` does, or reports that it is still pending after the microtasks and a macrotask ran. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(() => {
    done = true;
  });
  await new Promise((r) => setTimeout(r, 0));
  return done;
}

const outcome = (o: Partial<RoutingPassOutcome> = {}): RoutingPassOutcome => ({
  devicesWithWork: [],
  routable: [],
  more: false,
  ...o,
});

describe('WorkNotifier wake-ups', () => {
  it('does not miss a notify that lands while the poll is looking for work (before it waits)', async () => {
    const n = new WorkNotifier();
    const seen = n.version(WS, 'dev_a');
    n.notify(WS); // e.g. a message accepted during the poll's lease pass
    expect(await settled(n.wait(WS, 'dev_a', seen, FOREVER))).toBe(true);
  });

  it('does not miss a wake for this device that lands while the poll is looking', async () => {
    const n = new WorkNotifier();
    const seen = n.version(WS, 'dev_a');
    n.wake(WS, ['dev_a']);
    expect(await settled(n.wait(WS, 'dev_a', seen, FOREVER))).toBe(true);
    // Another device's wake is none of its business.
    const again = n.version(WS, 'dev_a');
    n.wake(WS, ['dev_b']);
    expect(await settled(n.wait(WS, 'dev_a', again, 20))).toBe(false);
  });

  it('wakes only the devices named, and a notify wakes one waiting poll (which runs the pass)', async () => {
    const n = new WorkNotifier();
    const polls = ['dev_a', 'dev_b', 'dev_c'].map((d) => n.wait(WS, d, n.version(WS, d), FOREVER));
    n.wake(WS, ['dev_b']);
    expect(await Promise.all(polls.map(settled))).toEqual([false, true, false]);

    n.notify(WS);
    const after = await Promise.all([polls[0]!, polls[2]!].map(settled));
    expect(after.filter(Boolean)).toHaveLength(1);
    // The one left still waits; another workspace's work does not reach it.
    n.notify('ws_other');
    n.wake('ws_other', ['dev_a', 'dev_c']);
    expect(await settled(after[0] ? polls[2]! : polls[0]!)).toBe(false);
    n.notify(WS);
    expect(await settled(after[0] ? polls[2]! : polls[0]!)).toBe(true);
  });

  it('times out and stops waiting when the request is aborted', async () => {
    const n = new WorkNotifier();
    const t0 = Date.now();
    await n.wait(WS, 'dev_a', n.version(WS, 'dev_a'), 30);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(25);
    const abort = new AbortController();
    const p = n.wait(WS, 'dev_a', n.version(WS, 'dev_a'), FOREVER, abort.signal);
    abort.abort();
    expect(await settled(p)).toBe(true);
    // An aborted waiter is not the one a notify picks: the other poll gets the wake.
    const other = n.wait(WS, 'dev_b', n.version(WS, 'dev_b'), FOREVER);
    n.notify(WS);
    expect(await settled(other)).toBe(true);
  });
});

describe('WorkNotifier routing passes', () => {
  it('runs a pass when work was reported, none ran yet, the last is stale, or the device is new to it', async () => {
    const n = new WorkNotifier();
    let passes = 0;
    const pass = async () => {
      passes++;
      return outcome({ routable: ['dev_a'] });
    };
    const due = (now: number, routableDeviceId?: string) => ({ now, refreshMs: 2_000, routableDeviceId });
    await n.route(WS, due(0, 'dev_a'), pass); // first: none ran yet
    await n.route(WS, due(1_000, 'dev_a'), pass); // fresh, nothing new: no routing work
    await n.route(WS, due(1_000), pass);
    expect(passes).toBe(1);
    n.notify(WS);
    await n.route(WS, due(1_000, 'dev_a'), pass);
    expect(passes).toBe(2);
    await n.route(WS, due(2_999, 'dev_a'), pass);
    expect(passes).toBe(2);
    await n.route(WS, due(3_000, 'dev_a'), pass); // stale
    expect(passes).toBe(3);
    await n.route(WS, due(3_000, 'dev_new'), pass); // a device the last pass could not route to
    expect(passes).toBe(4);
    n.markDirty(WS);
    await n.route(WS, due(3_000, 'dev_a'), pass);
    expect(passes).toBe(5);
  });

  it('runs one pass at a time per workspace and wakes the devices it gave work', async () => {
    const n = new WorkNotifier();
    let passes = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const pass = async () => {
      passes++;
      await gate;
      return outcome({ routable: ['dev_a', 'dev_b', 'dev_c'], devicesWithWork: ['dev_b'] });
    };
    const waiting = ['dev_b', 'dev_c'].map((d) => n.wait(WS, d, n.version(WS, d), FOREVER));
    const due = { now: 0, refreshMs: 2_000, routableDeviceId: 'dev_a' };
    const first = n.route(WS, due, pass);
    const second = n.route(WS, due, pass); // waits for the running pass, then finds none due
    release();
    await Promise.all([first, second]);
    expect(passes).toBe(1);
    expect(await Promise.all(waiting.map(settled))).toEqual([true, false]);
  });

  it('runs another pass after the running one when work arrived meanwhile, and keeps it due after a failure', async () => {
    const n = new WorkNotifier();
    let passes = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const pass = async () => {
      passes++;
      if (passes === 1) await gate;
      return outcome({ routable: ['dev_a'] });
    };
    const due = { now: 0, refreshMs: 2_000, routableDeviceId: 'dev_a' };
    const first = n.route(WS, due, pass);
    await new Promise((r) => setTimeout(r, 0));
    n.notify(WS); // lands during the first pass, which may have read the queue already
    const second = n.route(WS, due, pass);
    release();
    await Promise.all([first, second]);
    expect(passes).toBe(2);

    n.notify(WS);
    await expect(n.route(WS, due, () => Promise.reject(new Error('db down')))).rejects.toThrow('db down');
    expect(n.routingDue(WS, 0, 2_000, 'dev_a')).toBe(true);
    await n.route(WS, due, pass);
    expect(passes).toBe(3);
    expect(n.routingDue(WS, 0, 2_000, 'dev_a')).toBe(false);
  });

  it('asks for another pass when one stopped at its size limit', async () => {
    const n = new WorkNotifier();
    await n.route(WS, { now: 0, refreshMs: 2_000 }, async () => outcome({ more: true }));
    expect(n.routingDue(WS, 0, 2_000)).toBe(true);
  });
});
