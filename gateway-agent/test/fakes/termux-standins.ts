/**
 * Executable stand-ins for the Termux:API commands the termux driver and the telemetry reader run.
 * `TermuxStandins.create()` writes small node scripts (`#!/usr/bin/env node`) into a temp directory; the
 * tests put that directory first on PATH of the driver's environment. The scripts:
 * - take the real options (termux-sms-send: -n numbers[,..] [-s slot] [text...], text from stdin when no
 *   text arguments; termux-sms-list: [-d] [-l limit] [-n] [-o offset] [-t all|inbox|sent|draft|outbox]
 *   [-c] [-f number]) and refuse what the real ones refuse;
 * - print the JSON documented by termux-api (SmsInboxAPI, BatteryStatusAPI, TelephonyAPI, WifiAPI);
 * - keep a shared SMS store (sms.json): termux-sms-send writes the row Android would write, termux-sms-list
 *   reads it, newest `limit` rows printed oldest first as the real command does;
 * - record every call (command, args, stdin) to calls.jsonl;
 * - can be told to hang, fail (exit code + stderr) or print garbage, per command (control.json).
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export const STANDIN_COMMANDS = [
  'termux-sms-send',
  'termux-sms-list',
  'termux-battery-status',
  'termux-telephony-deviceinfo',
  'termux-telephony-cellinfo',
  'termux-wifi-connectioninfo',
] as const;
export type StandinCommand = (typeof STANDIN_COMMANDS)[number];

export interface Behaviour {
  mode?: 'ok' | 'hang' | 'fail' | 'garbage';
  exitCode?: number;
  stderr?: string;
  /** JSON printed instead of the default document (telemetry commands). */
  output?: unknown;
  /** termux-sms-send: the row Android writes: sent (default), failed, outbox (queued), none. */
  sendOutcome?: 'sent' | 'failed' | 'outbox' | 'none';
  /** termux-sms-send: the row becomes visible this long after the command ran. */
  storeDelayMs?: number;
  /** termux-sms-send: store the address in this form (e.g. the national form the carrier uses). */
  storeAddress?: string;
  /** termux-sms-send: hang after writing the row (the SMS went out but the command never returned). */
  hangAfterSend?: boolean;
}

export interface RecordedCall {
  command: StandinCommand;
  args: string[];
  stdin: string | null;
  at: number;
}

export interface StoreRow {
  _id: number;
  threadid: number;
  type: string;
  read: boolean;
  address: string;
  body: string;
  /** Epoch ms; printed as the phone-local `received` time. */
  date: number;
  visibleAfter?: number;
}

const LIB = String.raw`'use strict';
const fs = require('node:fs');
const path = require('node:path');
const dir = __dirname;
const file = (name) => path.join(dir, name);
function readJson(name, fallback) {
  try { return JSON.parse(fs.readFileSync(file(name), 'utf8')); } catch { return fallback; }
}
function pad(n) { return String(n).padStart(2, '0'); }
function localTime(ms) {
  const d = new Date(ms);
  return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' +
    pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
}
function hang() { setInterval(() => {}, 1 << 30); }
// POSIX getopts: flags with a value are listed in withValue; stops at the first non-option.
function getopts(args, withValue, flags) {
  const opts = {}; let i = 0;
  for (; i < args.length; i++) {
    const a = args[i];
    if (a === '--') { i++; break; }
    if (!a.startsWith('-') || a === '-') break;
    const f = a.slice(1, 2);
    if (withValue.includes(f)) {
      const v = a.length > 2 ? a.slice(2) : args[++i];
      if (v === undefined) return { error: 'option requires an argument -- ' + f };
      opts[f] = v;
    } else if (flags.includes(f)) opts[f] = true;
    else return { error: 'illegal option -' + f };
  }
  return { opts, rest: args.slice(i) };
}
const defaults = {
  'termux-battery-status': { present: true, technology: 'Li-ion', health: 'GOOD', plugged: 'PLUGGED_USB',
    status: 'CHARGING', temperature: 31.5, voltage: 4298, current: 512000, current_average: 480000,
    percentage: 87, level: 87, scale: 100, charge_counter: 3801000 },
  'termux-telephony-deviceinfo': { data_enabled: 'true', data_activity: 'none', data_state: 'connected',
    device_id: null, device_software_version: '01', phone_count: 2, phone_type: 'gsm',
    network_operator: '26201', network_operator_name: 'Telekom.de', network_country_iso: 'de',
    network_type: 'lte', network_roaming: false, sim_country_iso: 'de', sim_operator: '26201',
    sim_operator_name: 'Telekom.de', sim_serial_number: null, sim_subscriber_id: null, sim_state: 'ready' },
  'termux-telephony-cellinfo': [
    { type: 'lte', registered: true, asu: 35, dbm: -105, level: 2, timing_advance: 3, ci: 26384641, pci: 306,
      tac: 40118, mcc: 262, mnc: 1, rsrp: -105, rsrq: -12, rssi: -77, bands: [3] },
    { type: 'lte', registered: false, asu: 20, dbm: -120, level: 1, pci: 12, mcc: 262, mnc: 2 },
    { type: 'gsm', registered: true, asu: 12, dbm: -89, level: 3, cid: 1234, lac: 55, mcc: 262, mnc: 2 },
  ],
  'termux-wifi-connectioninfo': { ip: '192.168.1.23', bssid: '02:00:00:00:00:00', frequency_mhz: 5180,
    link_speed_mbps: 433, mac_address: '02:00:00:00:00:00', network_id: 3, rssi: -58, ssid: 'shop-wifi',
    ssid_hidden: false, supplicant_state: 'COMPLETED' },
};
function smsSend(args, stdin, control) {
  const parsed = getopts(args, 'ns', 'h');
  if (parsed.error) { console.log('termux-sms-send: ' + parsed.error); process.exit(1); }
  if (!parsed.opts.n) { console.log('termux-sms-send: no recipient number given'); process.exit(1); }
  const text = parsed.rest.length > 0 ? parsed.rest.join(' ') + '\n' : stdin;
  const outcome = control.sendOutcome || 'sent';
  if (outcome !== 'none') {
    const store = readJson('sms.json', []);
    const now = Date.now();
    for (const number of parsed.opts.n.split(',')) {
      const nextId = store.reduce((m, r) => Math.max(m, r._id), 0) + 1;
      store.push({ _id: nextId, threadid: 7, type: outcome, read: true,
        address: control.storeAddress || number, body: text, date: now,
        visibleAfter: now + (control.storeDelayMs || 0) });
    }
    fs.writeFileSync(file('sms.json'), JSON.stringify(store));
  }
  if (control.hangAfterSend) hang();
}
function smsList(args, control) {
  const parsed = getopts(args, 'ltfo', 'hdnc');
  if (parsed.error) { console.log('termux-sms-list: ' + parsed.error); process.exit(1); }
  if (parsed.rest.length) { console.log('termux-sms-list: too many arguments'); process.exit(1); }
  const type = parsed.opts.t || 'all';
  const types = ['all', 'inbox', 'sent', 'draft', 'outbox'];
  if (!types.includes(type)) {
    console.log("termux-sms-list: Unsupported type '" + type + "'. Use one of: all|inbox|sent|draft|outbox");
    process.exit(1);
  }
  const limit = Number(parsed.opts.l || 10);
  const offset = Number(parsed.opts.o || 0);
  const now = Date.now();
  let rows = readJson('sms.json', []).filter((r) => (r.visibleAfter || 0) <= now);
  if (parsed.opts.f) rows = rows.filter((r) => r.address === parsed.opts.f);
  else if (type !== 'all') rows = rows.filter((r) => r.type === type);
  rows.sort((a, b) => b.date - a.date || b._id - a._id);
  rows = rows.slice(offset, offset + limit).reverse();
  const out = rows.map((r) => ({ threadid: r.threadid, type: r.type === 'queued' ? '' : r.type, read: r.read,
    address: r.address, number: r.address, received: localTime(r.date), body: r.body, _id: r._id }));
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
}
exports.main = function main(name) {
  const args = process.argv.slice(2);
  const run = (stdin) => {
    fs.appendFileSync(file('calls.jsonl'), JSON.stringify({ command: name, args, stdin, at: Date.now() }) + '\n');
    const control = readJson('control.json', {})[name] || {};
    if (control.mode === 'hang') return hang();
    if (control.mode === 'fail') {
      process.stderr.write(control.stderr || 'termux-api: the Termux:API app is not answering\n');
      process.exit(control.exitCode || 1);
    }
    if (control.mode === 'garbage') { process.stdout.write('<html>Termux:API crashed'); return; }
    if (name === 'termux-sms-send') return smsSend(args, stdin, control);
    if (name === 'termux-sms-list') return smsList(args, control);
    const doc = control.output !== undefined ? control.output : defaults[name];
    process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
  };
  if (name === 'termux-sms-send') {
    const chunks = [];
    process.stdin.on('data', (c) => chunks.push(c));
    process.stdin.on('end', () => run(Buffer.concat(chunks).toString('utf8')));
  } else {
    run(null);
  }
};
`;

export class TermuxStandins {
  readonly dir: string;
  /** The environment to give the driver: the stand-ins first on PATH. */
  readonly env: NodeJS.ProcessEnv;

  private constructor(dir: string) {
    this.dir = dir;
    this.env = { ...process.env, PATH: `${dir}${delimiter}${process.env.PATH ?? ''}` };
  }

  static create(): TermuxStandins {
    const dir = mkdtempSync(join(tmpdir(), 'termux-standins-'));
    writeFileSync(join(dir, '_standin.cjs'), LIB);
    for (const command of STANDIN_COMMANDS) {
      const path = join(dir, command);
      writeFileSync(
        path,
        `#!/usr/bin/env node\nrequire(__dirname + '/_standin.cjs').main(${JSON.stringify(command)});\n`,
      );
      chmodSync(path, 0o755);
    }
    writeFileSync(join(dir, 'control.json'), '{}');
    writeFileSync(join(dir, 'sms.json'), '[]');
    return new TermuxStandins(dir);
  }

  set(command: StandinCommand, behaviour: Behaviour): void {
    const control = this.readJson<Record<string, Behaviour>>('control.json', {});
    control[command] = behaviour;
    writeFileSync(join(this.dir, 'control.json'), JSON.stringify(control));
  }

  reset(command: StandinCommand): void {
    this.set(command, {});
  }

  calls(command?: StandinCommand): RecordedCall[] {
    let text = '';
    try {
      text = readFileSync(join(this.dir, 'calls.jsonl'), 'utf8');
    } catch {
      return [];
    }
    const calls = text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as RecordedCall);
    return command ? calls.filter((c) => c.command === command) : calls;
  }

  rows(): StoreRow[] {
    return this.readJson<StoreRow[]>('sms.json', []);
  }

  /** Adds a row to the SMS store as if Android had written it (inbox traffic, older sends). */
  addRow(row: Omit<StoreRow, '_id' | 'threadid' | 'read'> & Partial<Pick<StoreRow, 'read'>>): StoreRow {
    const rows = this.rows();
    const full: StoreRow = {
      _id: rows.reduce((m, r) => Math.max(m, r._id), 0) + 1,
      threadid: 9,
      read: true,
      ...row,
    };
    rows.push(full);
    writeFileSync(join(this.dir, 'sms.json'), JSON.stringify(rows));
    return full;
  }

  /** Changes a stored row's type (Android moving a message from outbox to sent or failed). */
  setRowType(id: number, type: string): void {
    const rows = this.rows().map((r) => (r._id === id ? { ...r, type } : r));
    writeFileSync(join(this.dir, 'sms.json'), JSON.stringify(rows));
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private readJson<T>(name: string, fallback: T): T {
    try {
      return JSON.parse(readFileSync(join(this.dir, name), 'utf8')) as T;
    } catch {
      return fallback;
    }
  }
}
