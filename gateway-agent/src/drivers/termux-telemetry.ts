/**
 * Phone telemetry through Termux:API, for every driver: battery (`termux-battery-status`), SIM and carrier
 * (`termux-telephony-deviceinfo`), signal (`termux-telephony-cellinfo`) and Wi-Fi
 * (`termux-wifi-connectioninfo`). Each command runs with its own timeout, all four at once; a command that
 * fails, hangs or prints garbage only leaves its fields out (partial telemetry, never an exception).
 * The parse functions are pure and exported for tests.
 */
import type { Telemetry } from './driver.ts';
import { type Runner, runCommand } from './exec.ts';

type Json = Record<string, unknown>;

function object(stdout: string): Json | null {
  try {
    const value: unknown = JSON.parse(stdout);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
    if ('API_ERROR' in value) return null;
    return value as Json;
  } catch {
    return null;
  }
}

function array(stdout: string): Json[] | null {
  try {
    const value: unknown = JSON.parse(stdout);
    return Array.isArray(value) ? value.filter((v): v is Json => typeof v === 'object' && v !== null) : null;
  } catch {
    return null;
  }
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const text = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

/** `termux-battery-status` -> battery. */
export function parseBattery(stdout: string): Telemetry['battery'] | undefined {
  const b = object(stdout);
  if (!b) return undefined;
  const percent =
    num(b.percentage) ??
    (num(b.level) !== undefined && num(b.scale) ? (num(b.level)! * 100) / num(b.scale)! : undefined);
  if (percent === undefined) return undefined;
  const status = text(b.status);
  const plugged = text(b.plugged);
  const battery: NonNullable<Telemetry['battery']> = {
    percent: Math.round(percent),
    charging:
      status === 'CHARGING' || status === 'FULL' || (plugged !== undefined && plugged !== 'UNPLUGGED'),
  };
  const temperature = num(b.temperature);
  if (temperature !== undefined && temperature > -100) battery.temperatureC = temperature;
  const health = text(b.health);
  if (health) battery.health = health.toLowerCase();
  return battery;
}

export interface DeviceInfo {
  phoneCount?: number;
  carrier?: string;
  mccMnc?: string;
  dataConnected?: boolean;
  simReady?: boolean;
}

/** `termux-telephony-deviceinfo` -> the default SIM's carrier and the mobile data state. */
export function parseDeviceInfo(stdout: string): DeviceInfo | undefined {
  const d = object(stdout);
  if (!d) return undefined;
  const info: DeviceInfo = {};
  const phoneCount = num(d.phone_count);
  if (phoneCount !== undefined) info.phoneCount = phoneCount;
  const carrier = text(d.sim_operator_name) ?? text(d.network_operator_name);
  if (carrier) info.carrier = carrier;
  const mccMnc = text(d.sim_operator) ?? text(d.network_operator);
  if (mccMnc) info.mccMnc = mccMnc;
  if (typeof d.data_state === 'string') info.dataConnected = d.data_state === 'connected';
  if (typeof d.sim_state === 'string') info.simReady = d.sim_state === 'ready';
  return info;
}

export interface Cell {
  dbm?: number;
  level?: number;
  mccMnc?: string;
}

/** `termux-telephony-cellinfo` -> the registered cells (one per active SIM), in order. */
export function parseCellInfo(stdout: string): Cell[] | undefined {
  const cells = array(stdout);
  if (!cells) return undefined;
  return cells
    .filter((c) => c.registered === true)
    .map((c) => {
      const cell: Cell = {};
      const dbm = num(c.dbm);
      // Android reports "unknown" as Integer.MAX_VALUE; termux-api leaves some of those out, not all.
      if (dbm !== undefined && dbm < 0 && dbm > -200) cell.dbm = dbm;
      const level = num(c.level);
      if (level !== undefined && level >= 0 && level <= 4) cell.level = level;
      const mcc = c.mcc;
      const mnc = c.mnc;
      if (
        (typeof mcc === 'number' || typeof mcc === 'string') &&
        (typeof mnc === 'number' || typeof mnc === 'string')
      ) {
        const mncText = String(mnc);
        cell.mccMnc = `${mcc}${mncText.length === 1 ? `0${mncText}` : mncText}`;
      }
      return cell;
    });
}

/** `termux-wifi-connectioninfo` -> connected to Wi-Fi or not (null: cannot tell). */
export function parseWifi(stdout: string): boolean | undefined {
  try {
    const value: unknown = JSON.parse(stdout);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    const w = value as Json;
    if ('API_ERROR' in w) return false;
    const ip = text(w.ip);
    return w.supplicant_state === 'COMPLETED' && ip !== undefined && ip !== '0.0.0.0';
  } catch {
    return undefined;
  }
}

/** Puts the four sources together; any of them may be missing. */
export function combineTelemetry(parts: {
  battery?: Telemetry['battery'];
  device?: DeviceInfo;
  cells?: Cell[];
  wifi?: boolean;
}): Telemetry {
  const telemetry: Telemetry = {};
  if (parts.battery) telemetry.battery = parts.battery;

  if (parts.wifi === true) telemetry.network = { type: 'wifi', connected: true };
  else if (parts.device?.dataConnected === true) telemetry.network = { type: 'cellular', connected: true };
  else if (parts.wifi === false && parts.device?.dataConnected === false) {
    telemetry.network = { type: 'none', connected: false };
  } else if (parts.wifi !== undefined || parts.device?.dataConnected !== undefined) {
    telemetry.network = { type: 'unknown' };
  }

  const cells = parts.cells ?? [];
  const device = parts.device;
  const count = Math.max(
    cells.length,
    device && device.simReady !== false && (device.carrier || device.mccMnc) ? 1 : 0,
  );
  if (count > 0) {
    telemetry.sims = [];
    for (let slot = 0; slot < count; slot++) {
      const cell = cells[slot];
      telemetry.sims.push({
        slot,
        // deviceinfo describes the default SIM only; other slots get what their cell says.
        carrier: slot === 0 ? (device?.carrier ?? null) : null,
        mccMnc: (slot === 0 ? device?.mccMnc : undefined) ?? cell?.mccMnc ?? null,
        signalDbm: cell?.dbm ?? null,
        signalLevel: cell?.level ?? null,
      });
    }
  }
  return telemetry;
}

export interface TermuxTelemetryOptions {
  /** Per command; default 5 s. */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  run?: Runner;
}

export interface TelemetryReport {
  telemetry: Telemetry;
  /** Commands that failed, hung or printed something unreadable (for the agent's `doctor`). */
  failed: { command: string; reason: 'not_installed' | 'timeout' | 'exit_code' | 'unreadable' }[];
}

export const TELEMETRY_COMMANDS = [
  'termux-battery-status',
  'termux-telephony-deviceinfo',
  'termux-telephony-cellinfo',
  'termux-wifi-connectioninfo',
] as const;

/** Reads all four sources concurrently and reports which ones failed. */
export async function readTermuxTelemetryReport(
  options: TermuxTelemetryOptions = {},
): Promise<TelemetryReport> {
  const run = options.run ?? runCommand;
  const timeoutMs = options.timeoutMs ?? 5000;
  const failed: TelemetryReport['failed'] = [];

  const read = async <T>(
    command: string,
    parse: (stdout: string) => T | undefined,
  ): Promise<T | undefined> => {
    const runOptions: Parameters<Runner>[2] = { timeoutMs, maxOutputBytes: 256 * 1024 };
    if (options.env) runOptions.env = options.env;
    try {
      const result = await run(command, [], runOptions);
      if (result.code !== 0) {
        failed.push({ command, reason: 'exit_code' });
        return undefined;
      }
      const parsed = parse(result.stdout);
      if (parsed === undefined) failed.push({ command, reason: 'unreadable' });
      return parsed;
    } catch (error) {
      const kind = (error as { kind?: string }).kind;
      failed.push({ command, reason: kind === 'timeout' ? 'timeout' : 'not_installed' });
      return undefined;
    }
  };

  const [battery, device, cells, wifi] = await Promise.all([
    read('termux-battery-status', parseBattery),
    read('termux-telephony-deviceinfo', parseDeviceInfo),
    read('termux-telephony-cellinfo', parseCellInfo),
    read('termux-wifi-connectioninfo', parseWifi),
  ]);
  const parts: Parameters<typeof combineTelemetry>[0] = {};
  if (battery) parts.battery = battery;
  if (device) parts.device = device;
  if (cells) parts.cells = cells;
  if (wifi !== undefined) parts.wifi = wifi;
  return { telemetry: combineTelemetry(parts), failed };
}

/** The telemetry reader to hand to any driver (`createSmsGateDriver({ telemetry })`) or the agent. */
export async function readTermuxTelemetry(options: TermuxTelemetryOptions = {}): Promise<Telemetry> {
  return (await readTermuxTelemetryReport(options)).telemetry;
}
