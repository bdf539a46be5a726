import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { componentStatuses } from './components.ts';
import { workspaces } from './workspaces.ts';

export const probeKinds = ['http', 'statuspage', 'feed', 'whatsapp', 'self', 'sms_canary'] as const;
export type ProbeKind = (typeof probeKinds)[number];
export const probeStatuses = ['up', 'degraded', 'down', 'unknown'] as const;
export type ProbeStatus = (typeof probeStatuses)[number];

/**
 * An upstream probe of a workspace: an HTTP check, a Statuspage v2 feed, an RSS/Atom status feed, the
 * WhatsApp Business health status, a self-probe of Lifeline's own endpoints, or an SMS canary (one of
 * the workspace's phones texts another). It feeds one component
 * (`componentId`), and its last outcome is kept on the row (so component status and the `probe_down` rule
 * read one row per probe, not the results). Scheduling state (`nextRunAt`, `leaseUntil`) lives here too:
 * a runner claims a due probe with a compare-and-set, so two processes never run one probe at once.
 */
export const probes = sqliteTable(
  'probes',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    name: text('name').notNull(),
    kind: text('kind', { enum: probeKinds }).notNull(),
    /** The component whose derived status this probe drives (null: results only, plus `probe_down`). */
    componentId: text('component_id'),
    /** Kind-specific settings (url, method, expected status, assertions, chosen upstream components…). */
    config: text('config', { mode: 'json' }).notNull().$type<Record<string, unknown>>(),
    /** AES-GCM ciphertext of a secret the probe sends (the WhatsApp access token); never returned. */
    secretCiphertext: text('secret_ciphertext'),
    intervalMs: integer('interval_ms').notNull(),
    timeoutMs: integer('timeout_ms').notNull(),
    /** Attempts after the first before a run reports its failure. */
    retries: integer('retries').notNull().default(0),
    /** Targets in loopback, private, link-local or unique-local ranges are refused unless set by an admin. */
    allowPrivate: integer('allow_private', { mode: 'boolean' }).notNull().default(false),
    enabled: integer('enabled', { mode: 'boolean' }).notNull().default(true),
    nextRunAt: integer('next_run_at').notNull(),
    leaseUntil: integer('lease_until'),
    lastStatus: text('last_status', { enum: probeStatuses }),
    lastCheckedAt: integer('last_checked_at'),
    /** The component status of the last run that could tell (an unknown run leaves it as it was). */
    lastComponentStatus: text('last_component_status', { enum: componentStatuses }),
    lastKnownAt: integer('last_known_at'),
    lastDetail: text('last_detail'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    index('probes_workspace_idx').on(t.workspaceId),
    index('probes_due_idx').on(t.enabled, t.nextRunAt),
  ],
);

/** Each run of a probe, kept for the retention period like raw heartbeats. */
export const probeResults = sqliteTable(
  'probe_results',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    probeId: text('probe_id').notNull(),
    workspaceId: text('workspace_id').notNull(),
    checkedAt: integer('checked_at').notNull(),
    status: text('status', { enum: probeStatuses }).notNull(),
    componentStatus: text('component_status', { enum: componentStatuses }),
    latencyMs: integer('latency_ms'),
    attempts: integer('attempts').notNull(),
    detail: text('detail').notNull(),
    /** What the probe read: upstream incidents and maintenances, feed entries, health entities, TLS expiry. */
    data: text('data', { mode: 'json' }).$type<Record<string, unknown> | null>(),
  },
  (t) => [
    index('probe_results_probe_idx').on(t.probeId, t.checkedAt),
    index('probe_results_checked_idx').on(t.checkedAt),
  ],
);

/**
 * The test messages of SMS canary probes: each run of a canary probe queues one (a message with purpose
 * `canary`, pinned to the sending phone, its text carrying `nonce`) and judges the one before. The
 * receiving phone's agent reports the SMS when it arrives (`POST /v1/inbound`), which sets `receivedAt`.
 */
export const smsCanaries = sqliteTable(
  'sms_canaries',
  {
    id: text('id').primaryKey(),
    probeId: text('probe_id').notNull(),
    workspaceId: text('workspace_id').notNull(),
    messageId: text('message_id').notNull(),
    /** Random, unguessable, carried in the text; the receiving phone's report is matched by it. */
    nonce: text('nonce').notNull(),
    fromDeviceId: text('from_device_id').notNull(),
    toDeviceId: text('to_device_id').notNull(),
    toNumber: text('to_number').notNull(),
    createdAt: integer('created_at').notNull(),
    /** Server time the receiving phone's report arrived (the stage latency counts to it). */
    receivedAt: integer('received_at'),
    /** The receiving phone's own time of reception, as it reported it. */
    deviceReceivedAt: integer('device_received_at'),
    receivedFrom: text('received_from'),
    receivedSimSlot: integer('received_sim_slot'),
    /** When a run of the probe judged this canary (each is judged once). */
    judgedAt: integer('judged_at'),
  },
  (t) => [
    uniqueIndex('sms_canaries_nonce_idx').on(t.nonce),
    index('sms_canaries_probe_idx').on(t.probeId, t.createdAt),
    index('sms_canaries_created_idx').on(t.createdAt),
  ],
);

export type Probe = typeof probes.$inferSelect;
export type ProbeResult = typeof probeResults.$inferSelect;
export type SmsCanary = typeof smsCanaries.$inferSelect;
