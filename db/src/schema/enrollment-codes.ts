import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { workspaces } from './workspaces.ts';

/** One-time, expiring codes that a device exchanges for its token. Stored as hashes. */
export const enrollmentCodes = sqliteTable(
  'enrollment_codes',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    codeHash: text('code_hash').notNull().unique(),
    /** Name given to the device that enrols with this code, unless the device names itself. */
    deviceName: text('device_name'),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
    usedAt: integer('used_at'),
    usedByDeviceId: text('used_by_device_id'),
    revokedAt: integer('revoked_at'),
  },
  (t) => [index('enrollment_codes_workspace_idx').on(t.workspaceId)],
);

export type EnrollmentCode = typeof enrollmentCodes.$inferSelect;
