import { existsSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type DriverEvent, SendError, type SendRequest } from '../src/drivers/driver.ts';
import { createTermuxDriver } from '../src/drivers/termux.ts';
import { readTermuxTelemetry, readTermuxTelemetryReport } from '../src/drivers/termux-telemetry.ts';
import { TermuxStandins } from './fakes/termux-standins.ts';

const NASTY = `Code 1234; $(touch /tmp/pwned) \`id\` "q" 'q' | & > /dev/null\n-s 1 -n +1999 * ? ~ ünï 🚀`;

let standins: TermuxStandins;

beforeAll(() => {
  standins = TermuxStandins.create();
});
afterAll(() => standins.cleanup());
beforeEach(() => {
  for (const c of [
    'termux-sms-send',
    'termux-sms-list',
    'termux-battery-status',
    'termux-telephony-deviceinfo',
    'termux-telephony-cellinfo',
    'termux-wifi-connectioninfo',
  ] as const) {
    standins.reset(c);
  }
});

let seq = 0;
function request(overrides: Partial<SendRequest> = {}): SendRequest {
  seq++;
  return {
    id: `msg_t${seq}`,
    to: `+49151000000${String(seq).padStart(2, '0')}`,
    text: `${NASTY} #${seq}`,
    simSlot: null,
    segments: 2,
    expiresAt: Date.now() + 3600_000,
    ...overrides,
  };
}

function driver(extra: Parameters<typeof createTermuxDriver>[0] = {}) {
  return createTermuxDriver({
    env: standins.env,
    sendTimeoutMs: 5000,
    listTimeoutMs: 5000,
    telemetryTimeoutMs: 5000,
    confirmPollMs: 20,
    // The inbox is read only where a test asks for it (the store is shared across tests).
    inboxPollMs: 0,
    ...extra,
  });
}

async function waitFor<T>(fn: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = fn();
    if (value) return value;
    if (Date.now() - start > timeoutMs) throw new Error('waitFor timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('termux driver against executable Termux:API stand-ins', () => {
  it('declares sent reports and SIM choice but no delivery reports', () => {
    expect(driver().capabilities).toEqual({ sentReports: true, deliveryReports: false, simChoice: true });
  });

  it('sends the text on stdin, never as an argument, with shell metacharacters left inert', async () => {
    const d = driver();
    const marker = `${standins.dir}/pwned`;
    const req = request({
      simSlot: 1,
      text: `${NASTY} $(touch ${marker}) \`touch ${marker}\`; touch ${marker}`,
    });
    await d.send(req);
    expect(existsSync(marker)).toBe(false);
    const call = standins.calls('termux-sms-send').at(-1)!;
    expect(call.args).toEqual(['-n', req.to, '-s', '1']);
    expect(call.stdin).toBe(req.text);
    for (const arg of call.args) expect(arg).not.toContain('Code 1234');
    // Nothing in the text was executed by a shell, and the stored SMS is byte for byte the text.
    expect(standins.rows().at(-1)?.body).toBe(req.text);
    await d.stop();
  });

  it('omits -s for the default SIM', async () => {
    const d = driver();
    await d.send(request({ simSlot: null }));
    expect(standins.calls('termux-sms-send').at(-1)?.args).toHaveLength(2);
  });

  it('confirms "sent" from the SMS store, only once the row appears there', async () => {
    const d = driver();
    const events: DriverEvent[] = [];
    await d.start((e) => events.push(e));
    standins.set('termux-sms-send', { storeDelayMs: 300 });
    const req = request();
    const before = Date.now();
    await d.send(req);
    await d.pollNow();
    expect(events).toEqual([]);
    const sent = await waitFor(() => events.find((e) => e.type === 'sent'));
    expect(sent).toMatchObject({ type: 'sent', id: req.id });
    expect(Date.now() - before).toBeGreaterThanOrEqual(300);
    expect(sent.at).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 - 1000);
    const lists = standins.calls('termux-sms-list');
    expect(lists.at(-1)?.args).toEqual(['-t', 'all', '-l', '50']);
    await d.stop();
  });

  it('reports a failed row as a send failure', async () => {
    const d = driver();
    const events: DriverEvent[] = [];
    await d.start((e) => events.push(e));
    standins.set('termux-sms-send', { sendOutcome: 'failed' });
    const req = request();
    await d.send(req);
    const failed = await waitFor(() => events.find((e) => e.type === 'failed'));
    expect(failed).toMatchObject({ id: req.id, stage: 'send', errorCode: 'TERMUX_SEND_FAILED' });
    await d.stop();
  });

  it('matches the national number form and never takes an older identical message for a new one', async () => {
    const d = driver();
    const events: DriverEvent[] = [];
    await d.start((e) => events.push(e));
    const req = request({ to: '+4915112345678', text: 'same text' });
    // The same text to the same number an hour ago.
    standins.addRow({
      type: 'sent',
      address: '015112345678',
      body: 'same text',
      date: Date.now() - 3600_000,
    });
    standins.set('termux-sms-send', { storeAddress: '015112345678', storeDelayMs: 200 });
    await d.send(req);
    await d.pollNow();
    expect(events).toEqual([]);
    await waitFor(() => events.length === 1);
    expect(events[0]).toMatchObject({ type: 'sent', id: req.id });
    await d.stop();
  });

  it('a hanging termux-sms-send times out as reachedEngine maybe; lookup then finds it in the sent box', async () => {
    const d = driver({ sendTimeoutMs: 1200 });
    standins.set('termux-sms-send', { hangAfterSend: true });
    const req = request();
    const started = Date.now();
    const error = await d.send(req).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(error).toBeInstanceOf(SendError);
    expect(error).toMatchObject({ code: 'ENGINE_TIMEOUT', reachedEngine: 'maybe' });
    expect(await d.lookup(req.id)).toMatchObject({ known: true, state: 'sent' });
  });

  it('a failing termux-sms-send is an error the agent must look up (it may have sent)', async () => {
    const d = driver();
    standins.set('termux-sms-send', { mode: 'fail', exitCode: 2 });
    const req = request();
    await expect(d.send(req)).rejects.toMatchObject({ code: 'ENGINE_ERROR', reachedEngine: 'maybe' });
    expect(await d.lookup(req.id)).toEqual({ known: 'cannot_tell', reason: 'not in the SMS store' });
  });

  it('a missing termux-sms-send provably never sent', async () => {
    const d = createTermuxDriver({ env: { PATH: '/nonexistent' } });
    await expect(d.send(request())).rejects.toMatchObject({
      code: 'ENGINE_UNREACHABLE',
      reachedEngine: false,
    });
    const health = await d.health();
    expect(health.status).toBe('fail');
    expect(health.checks['termux-sms-send']?.status).toBe('fail');
    expect(health.checks['termux-api']?.detail).toContain('not installed');
  });

  it('health passes with Termux:API answering', async () => {
    const health = await driver().health();
    expect(health.status).toBe('pass');
    expect(Object.keys(health.checks).sort()).toEqual(['confirmations', 'termux-api', 'termux-sms-send']);
  });

  it('refuses recipients that are not plain numbers (no option or multi-recipient injection)', async () => {
    const d = driver();
    const before = standins.calls('termux-sms-send').length;
    for (const to of ['+1555,+1666', '-s 1', '+1555 --es x y', '']) {
      await expect(d.send(request({ to }))).rejects.toMatchObject({
        code: 'INVALID_RECIPIENT',
        reachedEngine: false,
      });
    }
    expect(standins.calls('termux-sms-send')).toHaveLength(before);
  });

  it('looks up after a restart from the journal hint; without a record it cannot tell', async () => {
    const first = driver();
    const req = request();
    await first.send(req);
    const submittedAt = Date.now() - 50;
    const restarted = driver();
    expect(await restarted.lookup(req.id)).toMatchObject({ known: 'cannot_tell' });
    expect(await restarted.lookup(req.id, { to: req.to, text: req.text, submittedAt })).toMatchObject({
      known: true,
      state: 'sent',
    });
    // The journal may stamp the hand-over after the command returned, later than Android wrote the row.
    expect(
      await restarted.lookup(req.id, { to: req.to, text: req.text, submittedAt: submittedAt + 20_000 }),
    ).toMatchObject({ known: true, state: 'sent' });
    expect(await restarted.lookup('other', { to: req.to, text: 'never sent', submittedAt })).toMatchObject({
      known: 'cannot_tell',
    });
    expect(standins.calls('termux-sms-list').some((c) => c.args.join(' ') === '-t sent -l 500')).toBe(true);
  });

  it('a retry (same text, same number, new attempt id) is never taken for the attempt that failed before it', async () => {
    const req = request({ id: 'msg_retry-2', text: 'Your code is 4321' });
    // Attempt 1 failed in the phone 10 s ago; the server leased the retry 2 s ago.
    standins.addRow({ type: 'failed', address: req.to, body: req.text, date: Date.now() - 10_000 });
    const leasedAt = Date.now() - 2_000;
    const hint = { to: req.to, text: req.text, submittedAt: Date.now(), leasedAt };
    // Killed before termux-sms-send ran for attempt 2: only attempt 1's row is in the store.
    const restarted = driver();
    expect(await restarted.lookup(req.id, hint)).toMatchObject({ known: 'cannot_tell' });
    // (Without the lease time the journal's 60 s tolerance would take attempt 1's failure for this one.)
    const { leasedAt: _, ...noLease } = hint;
    expect(await restarted.lookup(req.id, noLease)).toMatchObject({ known: true, state: 'failed' });

    // Attempt 2 sent: confirmed by its own row, and found by it after a restart.
    const d = driver();
    const events: DriverEvent[] = [];
    await d.start((e) => events.push(e));
    await d.send(req);
    await waitFor(() => events.length === 1);
    expect(events[0]).toMatchObject({ type: 'sent', id: req.id });
    await d.stop();
    expect(await driver().lookup(req.id, { ...hint, submittedAt: Date.now() })).toMatchObject({
      known: true,
      state: 'sent',
    });
  });

  it('lookup says pending while Android still has it in the outbox', async () => {
    const d = driver();
    standins.set('termux-sms-send', { sendOutcome: 'outbox' });
    const req = request();
    await d.send(req);
    expect(await d.lookup(req.id)).toMatchObject({ known: true, state: 'pending' });
    const row = standins.rows().at(-1)!;
    standins.setRowType(row._id, 'sent');
    expect(await d.lookup(req.id)).toMatchObject({ known: true, state: 'sent' });
  });

  it('health fails when termux-sms-list hangs, and lookups cannot tell', async () => {
    const d = driver({ listTimeoutMs: 800 });
    const req = request();
    await d.send(req);
    standins.set('termux-sms-list', { mode: 'hang' });
    const health = await d.health();
    expect(health.status).toBe('fail');
    expect(health.checks['termux-api']?.detail).toContain('timed out');
    expect(await d.lookup(req.id)).toMatchObject({ known: 'cannot_tell' });
  });
});

describe('telemetry from Termux:API stand-ins', () => {
  it('reads battery, carrier, signal per SIM and Wi-Fi', async () => {
    expect(await readTermuxTelemetry({ env: standins.env, timeoutMs: 2000 })).toEqual({
      battery: { percent: 87, charging: true, temperatureC: 31.5, health: 'good' },
      network: { type: 'wifi', connected: true },
      sims: [
        { slot: 0, carrier: 'Telekom.de', mccMnc: '26201', signalDbm: -105, signalLevel: 2 },
        { slot: 1, carrier: null, mccMnc: '26202', signalDbm: -89, signalLevel: 3 },
      ],
    });
  });

  it('returns partial telemetry when commands hang, fail or print garbage, within the timeout', async () => {
    standins.set('termux-battery-status', { mode: 'hang' });
    standins.set('termux-telephony-cellinfo', { mode: 'fail' });
    standins.set('termux-wifi-connectioninfo', { mode: 'garbage' });
    standins.set('termux-telephony-deviceinfo', {
      output: {
        data_state: 'connected',
        phone_count: 1,
        sim_operator: '310260',
        sim_operator_name: 'T-Mobile',
        sim_state: 'ready',
      },
    });
    const started = Date.now();
    const report = await readTermuxTelemetryReport({ env: standins.env, timeoutMs: 1200 });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(report.telemetry).toEqual({
      network: { type: 'cellular', connected: true },
      sims: [{ slot: 0, carrier: 'T-Mobile', mccMnc: '310260', signalDbm: null, signalLevel: null }],
    });
    expect(report.failed.sort((a, b) => a.command.localeCompare(b.command))).toEqual([
      { command: 'termux-battery-status', reason: 'timeout' },
      { command: 'termux-telephony-cellinfo', reason: 'exit_code' },
      { command: 'termux-wifi-connectioninfo', reason: 'unreadable' },
    ]);
  });

  it('returns empty telemetry, not an error, when Termux:API is not installed', async () => {
    const report = await readTermuxTelemetryReport({ env: { PATH: '/nonexistent' }, timeoutMs: 500 });
    expect(report.telemetry).toEqual({});
    expect(report.failed.map((f) => f.reason)).toEqual([
      'not_installed',
      'not_installed',
      'not_installed',
      'not_installed',
    ]);
  });

  it('is what the termux driver reports as its telemetry', async () => {
    expect((await driver().telemetry()).battery?.percent).toBe(87);
  });
});

describe('termux driver: received SMS (the SMS canary)', () => {
  const inbox = (body: string, ageMs: number, address = '+4915100000999') =>
    standins.addRow({ type: 'inbox', address, body, date: Date.now() - ageMs });
  const received = (events: DriverEvent[]) =>
    events.filter((e): e is Extract<DriverEvent, { type: 'received' }> => e.type === 'received');

  it('reports each new inbox row once, and what arrived shortly before it started, not older texts', async () => {
    inbox('old news', 3_600_000);
    const landed = inbox('Lifeline canary n1: while the agent restarted', 60_000);
    const logs: unknown[] = [];
    const d = driver({ inboxPollMs: 25, log: (...args) => logs.push(args) });
    const events: DriverEvent[] = [];
    await d.start((e) => events.push(e));
    await waitFor(() => received(events).length === 1);
    expect(received(events)[0]).toMatchObject({
      from: '+4915100000999',
      text: landed.body,
      at: Math.floor(landed.date / 1000) * 1000,
    });
    // Sent rows are not received ones; a new inbox row is reported on the next read, once.
    await d.send(request());
    inbox('Lifeline canary n2: fresh', 0, '015100000998');
    await waitFor(() => received(events).length === 2);
    await new Promise((r) => setTimeout(r, 150)); // several more reads
    expect(received(events).map((e) => e.text)).toEqual([landed.body, 'Lifeline canary n2: fresh']);
    expect(received(events)[1]!.from).toBe('015100000998');
    const reads = standins.calls('termux-sms-list').filter((c) => c.args.includes('inbox'));
    expect(reads.length).toBeGreaterThan(3);
    expect(reads.at(-1)!.args).toEqual(['-t', 'inbox', '-l', '50']);
    await d.stop();
    expect(JSON.stringify(logs)).not.toContain('canary');
  });

  it('goes on after a failed read, without logging texts, and reads nothing when turned off', async () => {
    const logs: unknown[][] = [];
    const d = driver({ inboxPollMs: 25, log: (...args) => logs.push(args) });
    const events: DriverEvent[] = [];
    standins.set('termux-sms-list', { mode: 'garbage' });
    await d.start((e) => events.push(e));
    await waitFor(() => logs.some((l) => String(l[1]).includes('reading the inbox failed')));
    standins.reset('termux-sms-list');
    inbox('Lifeline canary n3: after the outage', 0);
    await waitFor(() => received(events).some((e) => e.text.includes('n3')));
    await d.stop();
    expect(JSON.stringify(logs)).not.toContain('n3');

    const off = driver();
    const before = standins.calls('termux-sms-list').length;
    await off.start(() => {});
    await new Promise((r) => setTimeout(r, 100));
    await off.stop();
    expect(
      standins
        .calls('termux-sms-list')
        .slice(before)
        .filter((c) => c.args.includes('inbox')),
    ).toEqual([]);
  });
});
