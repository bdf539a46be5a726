import { describe, expect, it } from 'vitest';
import { engineIdOf } from '../engine-id.ts';
import type { DriverEvent } from './driver.ts';
import { SimNetwork } from './sim-network.ts';
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

describe('simulated carrier network', () => {
  const carrier: SimCarrier = { name: 'Vodafone UK', deliveryRate: 1, sendFailureRate: 0 };
  const phone = (number: string, network: SimNetwork) =>
    new SimulatedDriver({
      sims: [{ slot: 0, carrier, number }],
      latencyMs: { sent: [0, 0], delivered: [0, 0] },
      network,
    });
  const to = (id: string, recipient: string, text = 'Lifeline canary 0123456789ABCDEF: test') => ({
    ...request(id),
    to: recipient,
    text,
  });

  it('a phone texting another simulated phone makes it receive the SMS when delivered; not when it failed', async () => {
    const network = new SimNetwork();
    const [a, b] = [phone('+447700800001', network), phone('+447700800002', network)];
    const atA: DriverEvent[] = [];
    const atB: DriverEvent[] = [];
    await a.start((e) => atA.push(e));
    await b.start((e) => atB.push(e));
    await a.send(to('msg_1-1', '+447700800002'));
    await until(() => atB.length === 1);
    expect(atA.map((e) => e.type)).toEqual(['sent', 'delivered']);
    expect(atB[0]).toMatchObject({
      type: 'received',
      from: '+447700800001',
      text: 'Lifeline canary 0123456789ABCDEF: test',
      simSlot: 0,
    });
    // Credit runs out: the SMS fails on the phone, and nothing arrives.
    a.updateSim(0, { sendFailureRate: 1 });
    await a.send(to('msg_2-1', '+447700800002'));
    await until(() => atA.length === 3);
    expect(atA[2]).toMatchObject({ type: 'failed', stage: 'send' });
    // A number nobody in the process holds, and a stopped phone, receive nothing.
    a.updateSim(0, { sendFailureRate: 0 });
    await b.stop();
    await a.send(to('msg_3-1', '+447700800002'));
    await a.send(to('msg_4-1', '+447700900999'));
    await until(() => atA.filter((e) => e.type === 'delivered').length === 3);
    expect(atB).toHaveLength(1);
    await a.stop();
  });
});
