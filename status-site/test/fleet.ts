/** A small simulated fleet driven through the real API: phones that heartbeat, send and report receipts. */

import { tick } from '../../monitor/src/tick.ts';
import { startTestServer, type TestServer } from '../../monitor/test/helpers.ts';
import { SendLedger, TestDevice } from '../../monitor/test/test-device.ts';

export const HEARTBEAT_MS = 30_000;

/** Heartbeats the given devices every 30 s for `minutes`, ticking the server as `npm start` does. */
export async function run(s: TestServer, devices: TestDevice[], minutes: number) {
  for (let t = 0; t < (minutes * 60_000) / HEARTBEAT_MS; t++) {
    s.clock.advance(HEARTBEAT_MS);
    for (const d of devices) await d.heartbeat();
    await tick(s.deps, s.clock.now());
  }
}

/** Sends `n` messages through the API; the devices deliver them, `undelivered` of them fail. */
export async function sendMessages(s: TestServer, devices: TestDevice[], n: number, undelivered = 0) {
  for (let i = 0; i < n; i++) {
    const res = await s.request('POST', '/v1/messages', {
      token: s.creds.apiKey,
      headers: { 'idempotency-key': `m-${s.clock.now()}-${i}` },
      body: { to: '+447700900123', text: `Test ${i}` },
    });
    if (res.status !== 201 && res.status !== 202)
      throw new Error(`message ${res.status} ${JSON.stringify(res.json)}`);
  }
  let failed = 0;
  for (let round = 0; round < 5; round++) {
    for (const d of devices) {
      const sent = await d.submit(await d.poll());
      const bad = sent.slice(0, Math.max(0, undelivered - failed));
      failed += bad.length;
      await d.complete(bad, 'undelivered');
      await d.complete(sent.slice(bad.length), 'delivered');
    }
  }
}

export interface Fleet {
  s: TestServer;
  devices: TestDevice[];
}

/** Four phones on Vodafone UK, online for 10 minutes, with 40 messages (2 undelivered). */
export async function startFleet(names = ['Shop phone 1', 'Shop phone 2', 'Shop phone 3', 'Shop phone 4']) {
  const s = await startTestServer({ site: true });
  const ledger = new SendLedger();
  const devices: TestDevice[] = [];
  for (const name of names) devices.push(await TestDevice.enroll(s, name, ledger));
  await run(s, devices, 10);
  await sendMessages(s, devices, 40, 2);
  await run(s, devices, 1);
  return { s, devices };
}
