import { integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * Segments handed to each SIM per minute, kept by additive upserts at lease time; the router reads the
 * last day of it to respect per-minute and per-day send limits. Slot -1 stands for "the driver's choice".
 */
export const simUsageMinutes = sqliteTable(
  'sim_usage_minutes',
  {
    deviceId: text('device_id').notNull(),
    simSlot: integer('sim_slot').notNull(),
    /** Minutes since the epoch. */
    minute: integer('minute').notNull(),
    segments: integer('segments').notNull(),
  },
  (t) => [primaryKey({ columns: [t.deviceId, t.simSlot, t.minute] })],
);
