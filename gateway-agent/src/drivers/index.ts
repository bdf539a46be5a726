/**
 * The drivers `lifeline-agent run --driver NAME` can use. Adding an engine is one line here: its name and a
 * factory building it from the `drivers.NAME` section of config.json (a bad setting throws a
 * DriverSettingsError naming the field, and `run` exits 2).
 */
import type { Clock } from '../clock.ts';
import type { Driver } from './driver.ts';
import { smsGateFromSettings, termuxFromSettings } from './engine-settings.ts';
import { SimulatedDriver, type SimulatedOptions } from './simulated.ts';
import type { DriverLog } from './smsgate.ts';

export interface DriverContext {
  /** The agent's state directory (relative paths in the driver's settings are resolved against it). */
  home: string;
  /** The driver's own settings, from config.json's `drivers.NAME` (may be empty). */
  settings: Record<string, unknown>;
  clock: Clock;
  resolve(path: string): string;
  /** The agent's logger (JSON lines on stderr); drivers must never log message text or secrets. */
  log: (
    level: 'debug' | 'info' | 'warn' | 'error',
    message: string,
    fields?: Record<string, unknown>,
  ) => void;
}

export type DriverFactory = (ctx: DriverContext) => Driver | Promise<Driver>;

export const driverFactories: Record<string, DriverFactory> = {
  smsgate: (ctx) => smsGateFromSettings(ctx.settings, { clock: ctx.clock, log: driverLog(ctx) }),
  termux: (ctx) => termuxFromSettings(ctx.settings, { clock: ctx.clock, log: driverLog(ctx) }),
  simulated: (ctx) => {
    const settings = ctx.settings as SimulatedOptions;
    return new SimulatedDriver({
      ...settings,
      ...(settings.storePath ? { storePath: ctx.resolve(settings.storePath) } : {}),
      clock: ctx.clock,
    });
  },
};

/** The agent's logger as the engine drivers call it. */
function driverLog(ctx: DriverContext): DriverLog {
  return (level, message, fields) => ctx.log(level, message, fields as Record<string, unknown> | undefined);
}

export function driverNames(): string[] {
  return Object.keys(driverFactories);
}
