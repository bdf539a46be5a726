import { describe, expect, it } from 'vitest';
import { engineIdOf } from '../engine-id.ts';
import type { DriverEvent } from './driver.ts';
import { planFate, type SimCarrier, SimulatedDriver } from './simulated.ts';

const noService: SimCarrier = {
  name: 'No service',
  deliveryRate: 1,
  sendFailureRate: 1,
  failureCode: 'RESULT_ERROR_NO_SERVICE',
};

function request(id: string) {
  return { id, to: '+447700900123', text: 'hi', simSlot: null, segments: 1, expiresAt: Date.now() + 60_000 };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
}

describe('simulated engine, a second attempt of a message', () => {
  it('takes the retry under its new id after failing the first; refuses only a repeated id', async () => {
    const driver = new SimulatedDriver({
      sims: [{ slot: 0, carrier: noService }],
      latencyMs: { sent: [0, 0], delivered: [0, 0] },
    });
    const events: DriverEvent[] = [];
    await driver.start((e) => events.push(e));
    const [first, second] = [engineIdOf('msg_a', 1), engineIdOf('msg_a', 2)];
    await driver.send(request(first));
    await until(() => events.length === 1);
    expect(events[0]).toMatchObject({ type: 'failed', id: first, stage: 'send' });

    await driver.send(request(second));
    await until(() => events.length === 2);
    expect(events[1]).toMatchObject({ type: 'failed', id: second });
    await expect(driver.send(request(second))).rejects.toMatchObject({ code: 'DUPLICATE_ID' });
    expect(driver.store.sendCalls().map((c) => c.id)).toEqual([first, second, second]);
    expect(await driver.lookup(first)).toMatchObject({ known: true, state: 'failed' });
    expect(await driver.lookup(engineIdOf('msg_a', 3))).toEqual({ known: false });
    await driver.stop();
  });

  it('draws each attempt its own fate', () => {
    const carrier: SimCarrier = { name: 'Half', deliveryRate: 0.5, sendFailureRate: 0.5 };
    const latency = { sent: [10, 1_000] as [number, number], delivered: [10, 1_000] as [number, number] };
    const fate = (id: string) =>
      planFate(id, 7, carrier, latency, 0).events.map((e) => `${e.event.type}@${e.due}`);
    const ids = Array.from({ length: 20 }, (_, i) => `msg_${i}`);
    const differ = ids.filter((id) => fate(engineIdOf(id, 1)).join() !== fate(engineIdOf(id, 2)).join());
    expect(differ.length).toBeGreaterThan(15);
    // And the same attempt always the same one (a rerun gives the same outcomes).
    for (const id of ids) expect(fate(engineIdOf(id, 1))).toEqual(fate(engineIdOf(id, 1)));
  });
});
