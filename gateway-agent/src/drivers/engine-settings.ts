/**
 * Builds the smsgate and termux drivers from their `drivers.NAME` section of the agent's config.json, with
 * a clear message for each missing or wrong setting (shown by `run` and `doctor`).
 *
 * smsgate: { "baseUrl"?: "http://127.0.0.1:8080", "username": "sms", "password": "...",
 *            "webhookSigningKey": "...", "listenPort"?: 18080, "withDeliveryReport"?: true,
 *            "requestTimeoutMs"?: 10000, "telemetry"?: "auto" | "termux" | "none" }
 * termux:  { "sendTimeoutMs"?: 20000, "confirmPollMs"?: 2000, "confirmTimeoutMs"?: 600000,
 *            "inboxPollMs"?: 30000 (0: never read the inbox; the phone then cannot receive SMS canaries) }
 */
import type { Driver, Telemetry } from './driver.ts';
import { createSmsGateDriver, type DriverLog, type SmsGateDriverOptions } from './smsgate.ts';
import { createTermuxDriver, type TermuxDriverOptions } from './termux.ts';
import { readTermuxTelemetry } from './termux-telemetry.ts';

export class DriverSettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DriverSettingsError';
  }
}

/** `key` is `driver.field` (for the message); the value is read from the driver's own settings. */
const field = (key: string) => key.slice(key.indexOf('.') + 1);

function str(settings: Record<string, unknown>, key: string, required: true): string;
function str(settings: Record<string, unknown>, key: string, required: false): string | undefined;
function str(settings: Record<string, unknown>, key: string, required: boolean): string | undefined {
  const value = settings[field(key)];
  if (value === undefined || value === null || value === '') {
    if (required) throw new DriverSettingsError(`drivers.${key} is required`);
    return undefined;
  }
  if (typeof value !== 'string') throw new DriverSettingsError(`drivers.${key} must be a string`);
  return value;
}

function int(settings: Record<string, unknown>, key: string, min: number): number | undefined {
  const value = settings[field(key)];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new DriverSettingsError(`drivers.${key} must be an integer >= ${min}`);
  }
  return value;
}

/** True when the agent runs inside Termux (where Termux:API commands may exist). */
export function inTermux(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.TERMUX_VERSION !== undefined || (env.PREFIX ?? '').includes('com.termux');
}

export interface EngineContext {
  clock: { now(): number };
  log?: DriverLog;
  env?: NodeJS.ProcessEnv;
}

export function smsGateOptionsFromSettings(
  settings: Record<string, unknown>,
  ctx: EngineContext,
): SmsGateDriverOptions {
  const s = (key: string) => str(settings, `smsgate.${key}`, false);
  const options: SmsGateDriverOptions = {
    username: str(settings, 'smsgate.username', true),
    password: str(settings, 'smsgate.password', true),
    webhookSigningKey: str(settings, 'smsgate.webhookSigningKey', true),
    clock: ctx.clock,
  };
  const baseUrl = s('baseUrl');
  if (baseUrl !== undefined) {
    try {
      if (new URL(baseUrl).protocol !== 'http:') throw new Error('protocol');
    } catch {
      throw new DriverSettingsError(
        'drivers.smsgate.baseUrl must be an http:// URL (the app listens on plain HTTP)',
      );
    }
    options.baseUrl = baseUrl;
  }
  const listenPort = int(settings, 'smsgate.listenPort', 0);
  if (listenPort !== undefined) options.listenPort = listenPort;
  const timeout = int(settings, 'smsgate.requestTimeoutMs', 100);
  if (timeout !== undefined) options.requestTimeoutMs = timeout;
  if (settings.withDeliveryReport !== undefined) {
    if (typeof settings.withDeliveryReport !== 'boolean') {
      throw new DriverSettingsError('drivers.smsgate.withDeliveryReport must be true or false');
    }
    options.withDeliveryReport = settings.withDeliveryReport;
  }
  const telemetry = s('telemetry') ?? 'auto';
  if (!['auto', 'termux', 'none'].includes(telemetry)) {
    throw new DriverSettingsError('drivers.smsgate.telemetry must be auto, termux or none');
  }
  if (telemetry === 'termux' || (telemetry === 'auto' && inTermux(ctx.env))) {
    const env = ctx.env;
    options.telemetry = (): Promise<Telemetry> => readTermuxTelemetry(env ? { env } : {});
  }
  if (ctx.log) options.log = ctx.log;
  return options;
}

export function termuxOptionsFromSettings(
  settings: Record<string, unknown>,
  ctx: EngineContext,
): TermuxDriverOptions {
  const options: TermuxDriverOptions = { clock: ctx.clock };
  const sendTimeoutMs = int(settings, 'termux.sendTimeoutMs', 100);
  if (sendTimeoutMs !== undefined) options.sendTimeoutMs = sendTimeoutMs;
  const confirmPollMs = int(settings, 'termux.confirmPollMs', 100);
  if (confirmPollMs !== undefined) options.confirmPollMs = confirmPollMs;
  const confirmTimeoutMs = int(settings, 'termux.confirmTimeoutMs', 1000);
  if (confirmTimeoutMs !== undefined) options.confirmTimeoutMs = confirmTimeoutMs;
  const inboxPollMs = int(settings, 'termux.inboxPollMs', 0);
  if (inboxPollMs !== undefined) options.inboxPollMs = inboxPollMs;
  if (ctx.env) options.env = ctx.env;
  if (ctx.log) options.log = ctx.log;
  return options;
}

/** Registry entries, e.g. `smsgate: (ctx) => smsGateFromSettings(ctx.settings, ctx)`. */
export function smsGateFromSettings(settings: Record<string, unknown>, ctx: EngineContext): Driver {
  return createSmsGateDriver(smsGateOptionsFromSettings(settings, ctx));
}

export function termuxFromSettings(settings: Record<string, unknown>, ctx: EngineContext): Driver {
  return createTermuxDriver(termuxOptionsFromSettings(settings, ctx));
}
