import type { LeasedMessage } from '../src/contract/messages.ts';
import { heartbeat, type TestServer } from './helpers.ts';

/** Which device handed which message to its (pretend) SMS engine: the duplicate detector. */
export class SendLedger {
  readonly sends = new Map<string, string[]>();
  record(messageId: string, deviceId: string): void {
    const list = this.sends.get(messageId) ?? [];
    list.push(deviceId);
    this.sends.set(messageId, list);
  }
  duplicates(): string[] {
    return [...this.sends].filter(([, d]) => d.length > 1).map(([id]) => id);
  }
}

/**
 * Acts as a gateway agent would (until the agent lands): heartbeats, leases from the outbox, confirms
 * `submitted` before "sending", then reports the outcome.
 */
export class TestDevice {
  seq = 0;
  readonly s: TestServer;
  readonly deviceId: string;
  readonly token: string;
  readonly ledger: SendLedger;
  readonly sims = [{ slot: 0, carrier: 'Vodafone UK', signalDbm: -85 }];

  constructor(s: TestServer, deviceId: string, token: string, ledger: SendLedger) {
    this.s = s;
    this.deviceId = deviceId;
    this.token = token;
    this.ledger = ledger;
  }

  static async enroll(
    s: TestServer,
    name: string,
    ledger: SendLedger,
    opts: { weight?: number; perMinute?: number } = {},
  ) {
    const { deviceId, token } = await s.enrollDevice(name);
    const patch: Record<string, unknown> = {
      simRatePerMinute: opts.perMinute ?? 10_000,
      simRatePerDay: 1_000_000,
    };
    if (opts.weight !== undefined) patch.weight = opts.weight;
    const res = await s.request('PATCH', `/v1/devices/${deviceId}`, { token: s.creds.apiKey, body: patch });
    if (res.status !== 200) throw new Error(JSON.stringify(res.json));
    const d = new TestDevice(s, deviceId, token, ledger);
    await d.heartbeat();
    return d;
  }

  async heartbeat(overrides: Parameters<typeof heartbeat>[0] = {}) {
    const res = await this.s.request('POST', '/v1/heartbeats', {
      token: this.token,
      body: heartbeat({
        runId: `run-${this.deviceId}`,
        bootId: 'b',
        seq: this.seq++,
        sims: this.sims,
        ...overrides,
      }),
    });
    if (res.status !== 202) throw new Error(`heartbeat ${res.status} ${JSON.stringify(res.json)}`);
  }

  async poll(max = 100): Promise<LeasedMessage[]> {
    const res = await this.s.request('GET', `/v1/devices/me/outbox?wait=0&max=${max}`, { token: this.token });
    if (res.status !== 200) throw new Error(`outbox ${res.status} ${JSON.stringify(res.json)}`);
    return res.json.messages;
  }

  async report(receipts: { messageId: string; attempt: number; status: string; errorCode?: string }[]) {
    const res = await this.s.request('POST', '/v1/receipts', {
      token: this.token,
      body: { receipts: receipts.map((r) => ({ ...r, at: this.s.clock.now() })) },
    });
    if (res.status !== 200) throw new Error(`receipts ${res.status} ${JSON.stringify(res.json)}`);
    return res.json.results as { messageId: string; outcome: string; state?: string }[];
  }

  /** Confirms `submitted`; "sends" only what the server answered `applied` for. Returns the sent ones. */
  async submit(leased: LeasedMessage[]): Promise<LeasedMessage[]> {
    if (leased.length === 0) return [];
    const results = await this.report(
      leased.map((m) => ({ messageId: m.id, attempt: m.attempt, status: 'submitted' })),
    );
    const sent = leased.filter((_, i) => results[i]!.outcome === 'applied');
    for (const m of sent) this.ledger.record(m.id, this.deviceId);
    return sent;
  }

  async complete(sent: LeasedMessage[], outcome: 'delivered' | 'undelivered' = 'delivered') {
    if (sent.length === 0) return;
    await this.report(
      sent.flatMap((m) => [
        { messageId: m.id, attempt: m.attempt, status: 'sent' },
        { messageId: m.id, attempt: m.attempt, status: outcome },
      ]),
    );
  }

  /** One full round: poll, submit, deliver. */
  async work(max = 100): Promise<number> {
    const sent = await this.submit(await this.poll(max));
    await this.complete(sent);
    return sent.length;
  }
}
