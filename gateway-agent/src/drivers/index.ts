/**
 * The drivers `lifeline-agent run --driver NAME` can use. Adding an engine is one line here: its name and a
 * factory building it from the `drivers.NAME` section of config.json.
 */
import type { Clock } from '../clock.ts';
import type { Driver } from './driver.ts';
import { SimulatedDriver, type SimulatedOptions } from './simulated.ts';

export interface DriverContext {
  /** The agent's state directory (relative paths in the driver's settings are resolved against it). */
  home: string;
  /** The driver's own settings, from config.json's `drivers.NAME` (may be empty). */
  settings: Record<string, unknown>;
  clock: Clock;
  resolve(path: string): string;
}

export type DriverFactory = (ctx: DriverContext) => Driver | Promise<Driver>;

export const driverFactories: Record<string, DriverFactory> = {
  simulated: (ctx) => {
    const settings = ctx.settings as SimulatedOptions;
    return new SimulatedDriver({
      ...settings,
      ...(settings.storePath ? { storePath: ctx.resolve(settings.storePath) } : {}),
      clock: ctx.clock,
    });
  },
};

export function driverNames(): string[] {
  return Object.keys(driverFactories);
}
