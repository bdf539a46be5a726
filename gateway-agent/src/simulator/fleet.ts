/**
 * The fleet simulator: N simulated gateway phones in one process, each a real `Agent` with a
 * `SimulatedDriver`, against a real Lifeline server. To scale to 10,000 phones, they share one in-memory
 * SQLite journal (one scope per phone) and keep their engines in memory; their first heartbeats are
 * spread over one interval so the fleet does not stampede the server.
 *
 * Only `pollers` phones pull the outbox (default up to 50); the rest are enrolled with routing weight 0
 * (standby: the router uses them only when no weighted phone can send), so a 10,000-phone fleet measures
 * heartbeats without 10,000 long polls.
 */
import type { DatabaseSync } from 'node:sqlite';
import { Agent, type Logger } from '../agent.ts';
import { systemClock } from '../clock.ts';
import { DEFAULT_CARRIERS, mulberry32, type SimCarrier, SimulatedDriver } from '../drivers/simulated.ts';
import { httpRequest } from '../http.ts';
import { Journal, openJournalDb } from '../journal.ts';
import { ServerClient } from '../server-client.ts';

export interface FleetOptions {
  server: string;
  adminKey: string;
  devices: number;
  /** Messages per minute submitted to the API across the fleet (0: none). */
  ratePerMin: number;
  /** Engines go offline now and then, crash mid-send, lose records; phones reboot. */
  chaos?: boolean;
  seed?: number;
  /** Phones that pull the outbox (default min(devices, 50)). */
  pollers?: number;
  /** Outbox long-poll wait (default 25 s). */
  outboxWaitS?: number;
  /** Concurrent enrolments (default 50). */
  enrollConcurrency?: number;
  /** Spread the first heartbeats over this many ms (default: 30 s for big fleets, 1 s for small ones). */
  rampMs?: number;
  /** Recipients of simulated messages: `+4477009` + 5 digits. */
  recipients?: number;
  /** Add an SMS canary probe from phone 1 to phone 2 every minute (the demo does). */
  canary?: boolean;
  log?: Logger;
}

export interface FleetStats {
  devices: number;
  online: number;
  accepted: number;
  queued: number;
  sent: number;
  delivered: number;
  failed: number;
  heartbeats: number;
  heartbeatFailures: number;
  /** Heartbeats per second over the last 30 s (between `stats()` calls). */
  heartbeatsPerS: number;
  pendingReceipts: number;
}

const EXTRA_CARRIERS: SimCarrier[] = [
  { name: 'O2 UK', mccMnc: '23410', deliveryRate: 0.96, sendFailureRate: 0.01 },
  { name: 'Three UK', mccMnc: '23420', deliveryRate: 0.93, sendFailureRate: 0.03 },
];

async function api(server: string, key: string, method: string, path: string, body?: unknown) {
  const res = await httpRequest(`${server}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    timeoutMs: 60_000,
  });
  let json: unknown = null;
  try {
    json = res.text ? JSON.parse(res.text) : null;
  } catch {}
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.text.slice(0, 300)}`);
  return json as Record<string, unknown>;
}

async function mapLimit<T, R>(
  items: T[],
  limit: number,
  fn: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}

interface Phone {
  index: number;
  deviceId: string;
  token: string;
  driver: SimulatedDriver;
  journal: Journal;
  agent: Agent | null;
  running: Promise<unknown> | null;
  poll: boolean;
  /** Counters of runs before a simulated reboot. */
  past: {
    sent: number;
    delivered: number;
    failed: number;
    heartbeats: number;
    heartbeatFailures: number;
    leased: number;
  };
}

/** The number of the simulated phone `index`'s SIM: +447700800000 and up (customers' are +4477009…). */
export function simulatedNumber(index: number): string {
  return `+4477008${String(index).padStart(5, '0')}`;
}

export class Fleet {
  readonly options: FleetOptions;
  readonly db: DatabaseSync;
  readonly phones: Phone[] = [];
  accepted = 0;
  #random: () => number;
  #timers = new Set<NodeJS.Timeout>();
  #stopped = false;
  /** (time, cumulative heartbeats) samples of the last 30 s, for a steady heartbeats/s figure. */
  #samples: [number, number][] = [];
  #sender: Promise<void> | null = null;
  #log: Logger;

  constructor(options: FleetOptions) {
    this.options = options;
    this.db = openJournalDb(':memory:');
    this.#random = mulberry32(options.seed ?? 42);
    this.#log = options.log ?? (() => {});
  }

  /** Creates an enrolment code and enrols each phone through the API, as an admin and a phone would. */
  async enroll(onProgress?: (done: number) => void): Promise<void> {
    const { server, adminKey, devices } = this.options;
    const pollers = Math.min(devices, this.options.pollers ?? 50);
    let done = 0;
    const enrolled = await mapLimit(
      Array.from({ length: devices }, (_, i) => i),
      this.options.enrollConcurrency ?? 50,
      async (i) => {
        const code = await api(server, adminKey, 'POST', '/v1/enrollment-codes', {
          deviceName: `Sim phone ${i + 1}`,
        });
        const res = await httpRequest(`${server}/v1/devices/enroll`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ code: code.code }),
          timeoutMs: 60_000,
        });
        if (res.status !== 201) throw new Error(`enroll: ${res.status} ${res.text.slice(0, 200)}`);
        const { deviceId, token } = JSON.parse(res.text) as { deviceId: string; token: string };
        await api(server, adminKey, 'PATCH', `/v1/devices/${deviceId}`, {
          simRatePerMinute: 60,
          simRatePerDay: 10_000,
          ...(i < pollers ? {} : { weight: 0 }),
        });
        onProgress?.(++done);
        return { deviceId, token };
      },
    );
    if (this.options.canary && enrolled.length >= 2)
      await this.#addCanary(enrolled[0]!.deviceId, enrolled[1]!.deviceId);
    const carriers = [...DEFAULT_CARRIERS, ...EXTRA_CARRIERS];
    const chaos = this.options.chaos ?? false;
    const now = Date.now();
    enrolled.forEach(({ deviceId, token }, index) => {
      const rnd = mulberry32((this.options.seed ?? 42) * 1_000_003 + index);
      const carrier = carriers[index % carriers.length]!;
      const offline: { from: number; to: number }[] = [];
      if (chaos && rnd() < 0.2) {
        // Every few minutes this engine is unreachable for 20-60 s.
        for (let t = now + 30_000 + rnd() * 120_000; t < now + 3_600_000; t += 180_000 + rnd() * 240_000)
          offline.push({ from: t, to: t + 20_000 + rnd() * 40_000 });
      }
      const driver = new SimulatedDriver({
        seed: (this.options.seed ?? 42) + index,
        // Numbered on the simulated carrier network, so an SMS canary can go from one phone to another.
        sims: [{ slot: 0, carrier, signalDbm: -70 - Math.floor(rnd() * 40), number: simulatedNumber(index) }],
        latencyMs: { sent: [300, 3_000], delivered: [1_000, 15_000] },
        battery: {
          startPercent: 40 + Math.floor(rnd() * 60),
          drainPerHour: rnd() * 10,
          charging: rnd() < 0.6,
          temperatureC: 25 + Math.floor(rnd() * 12),
        },
        offline,
        crashRate: chaos ? 0.01 : 0,
        cannotTellRate: chaos ? 0.2 : 0,
      });
      this.phones.push({
        index,
        deviceId,
        token,
        driver,
        journal: new Journal(this.db, deviceId),
        agent: null,
        running: null,
        poll: index < pollers,
        past: { sent: 0, delivered: 0, failed: 0, heartbeats: 0, heartbeatFailures: 0, leased: 0 },
      });
    });
  }

  /** A component and an SMS canary probe: phone 1 texts phone 2 every minute, 30 s to arrive. */
  async #addCanary(fromDeviceId: string, toDeviceId: string): Promise<void> {
    const { server, adminKey } = this.options;
    const component = await api(server, adminKey, 'POST', '/v1/components', {
      name: 'SMS canary',
      layer: 'devices',
    });
    await api(server, adminKey, 'POST', '/v1/probes', {
      kind: 'sms_canary',
      name: 'SMS canary: Sim phone 1 -> Sim phone 2',
      componentId: component.id,
      config: { fromDeviceId, toDeviceId, toNumber: simulatedNumber(1) },
      intervalMs: 60_000,
      timeoutMs: 30_000,
    });
  }

  #startPhone(phone: Phone): void {
    if (this.#stopped) return;
    const agent = new Agent({
      journal: phone.journal,
      driver: phone.driver,
      client: new ServerClient({ url: this.options.server, token: phone.token, userAgent: 'lifeline-fleet' }),
      clock: systemClock,
      bootId: `sim-boot-${phone.index}`,
      poll: phone.poll,
      outboxWaitS: this.options.outboxWaitS ?? 25,
      limits: { perMinute: 60, perDay: 10_000 },
      persistStatus: false,
      maybeLookupDelayMs: 500,
      log: this.#log,
    });
    phone.agent = agent;
    phone.running = agent.run().then((reason) => {
      if (reason.kind !== 'stopped')
        this.#log('warn', 'simulated agent stopped', { device: phone.deviceId, ...reason });
    });
  }

  /** Starts every phone (first heartbeats spread over `rampMs`) and the message sender. */
  start(): void {
    const ramp = this.options.rampMs ?? (this.phones.length > 100 ? 30_000 : 1_000);
    for (const phone of this.phones) {
      const t = setTimeout(
        () => {
          this.#timers.delete(t);
          this.#startPhone(phone);
        },
        Math.floor((phone.index / Math.max(1, this.phones.length)) * ramp),
      );
      this.#timers.add(t);
    }
    if (this.options.ratePerMin > 0) this.#sender = this.#sendLoop();
    if (this.options.chaos) this.#chaosLoop();
  }

  async #sendLoop(): Promise<void> {
    const perSecond = this.options.ratePerMin / 60;
    let owed = 0;
    let n = 0;
    const recipients = this.options.recipients ?? 1_000;
    while (!this.#stopped) {
      owed += perSecond;
      const count = Math.min(1_000, Math.floor(owed));
      if (count > 0) {
        owed -= count;
        const messages = Array.from({ length: count }, () => {
          n++;
          const r = Math.floor(this.#random() * recipients);
          return { to: `+4477009${String(r).padStart(5, '0')}`, text: `Simulated message ${n}`, ttlS: 3_600 };
        });
        try {
          await api(this.options.server, this.options.adminKey, 'POST', '/v1/messages/batch', { messages });
          this.accepted += count;
        } catch (err) {
          this.#log('warn', 'message batch failed', {
            error: err instanceof Error ? err.message : String(err),
          });
        }
      }
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }

  /** Chaos: now and then a phone "reboots": its agent stops abruptly and starts again a little later. */
  #chaosLoop(): void {
    const t = setInterval(() => {
      if (this.#stopped) return;
      const phone = this.phones[Math.floor(this.#random() * this.phones.length)];
      if (!phone?.agent) return;
      const old = phone.agent;
      this.#keep(phone, old);
      old.stop();
      phone.agent = null;
      const back = setTimeout(
        () => {
          this.#timers.delete(back);
          this.#startPhone(phone);
        },
        5_000 + this.#random() * 20_000,
      );
      this.#timers.add(back);
    }, 10_000);
    this.#timers.add(t as unknown as NodeJS.Timeout);
  }

  #keep(phone: Phone, agent: Agent): void {
    const c = agent.counters;
    phone.past.sent += c.sent;
    phone.past.delivered += c.delivered;
    phone.past.failed += c.failed;
    phone.past.heartbeats += c.heartbeats;
    phone.past.heartbeatFailures += c.heartbeatFailures;
    phone.past.leased += c.leased;
  }

  stats(): FleetStats {
    const s: FleetStats = {
      devices: this.phones.length,
      online: 0,
      accepted: this.accepted,
      queued: 0,
      sent: 0,
      delivered: 0,
      failed: 0,
      heartbeats: 0,
      heartbeatFailures: 0,
      heartbeatsPerS: 0,
      pendingReceipts: 0,
    };
    let leased = 0;
    for (const p of this.phones) {
      const c = p.agent?.counters;
      if (p.agent?.connection === 'online') s.online++;
      s.sent += p.past.sent + (c?.sent ?? 0);
      s.delivered += p.past.delivered + (c?.delivered ?? 0);
      s.failed += p.past.failed + (c?.failed ?? 0);
      s.heartbeats += p.past.heartbeats + (c?.heartbeats ?? 0);
      s.heartbeatFailures += p.past.heartbeatFailures + (c?.heartbeatFailures ?? 0);
      leased += p.past.leased + (c?.leased ?? 0);
    }
    s.pendingReceipts = (
      this.db.prepare('SELECT count(*) AS n FROM receipts WHERE acked_at IS NULL').get() as { n: number }
    ).n;
    s.queued = Math.max(0, this.accepted - leased);
    const now = Date.now();
    this.#samples.push([now, s.heartbeats]);
    while (this.#samples.length > 2 && this.#samples[0]![0] < now - 30_000) this.#samples.shift();
    const [t0, h0] = this.#samples[0]!;
    s.heartbeatsPerS = now > t0 ? Math.round(((s.heartbeats - h0) / (now - t0)) * 10_000) / 10 : 0;
    return s;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    for (const p of this.phones) p.agent?.stop();
    await Promise.all(this.phones.map((p) => p.running));
    await this.#sender;
  }

  /** Frees the shared journal (after `stop`). */
  close(): void {
    if (this.db.isOpen) this.db.close();
  }
}

export function progressLine(s: FleetStats): string {
  return [
    `devices online ${s.online}/${s.devices}`,
    `messages queued ${s.queued}`,
    `sent ${s.sent}`,
    `delivered ${s.delivered}`,
    `failed ${s.failed}`,
    `heartbeats/s ${s.heartbeatsPerS.toFixed(1)}`,
    ...(s.heartbeatFailures > 0 ? [`heartbeat errors ${s.heartbeatFailures}`] : []),
    ...(s.pendingReceipts > 0 ? [`receipts waiting ${s.pendingReceipts}`] : []),
  ].join(' | ');
}
