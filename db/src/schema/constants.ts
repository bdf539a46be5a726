/** Enumerations shared by the drizzle columns and the zod schemas of the API. */

export const deviceStatuses = ['active', 'paused', 'revoked'] as const;
export type DeviceStatus = (typeof deviceStatuses)[number];

export const livenessStates = ['online', 'suspect', 'offline'] as const;
export type Liveness = (typeof livenessStates)[number];

/** How the gap before a heartbeat is explained by the agent's run id, boot id and sequence. */
export const gapKinds = ['first', 'continuous', 'network_gap', 'agent_restart', 'device_reboot'] as const;
export type GapKind = (typeof gapKinds)[number];

/** Message states of the blueprint (section 3). */
export const messageStates = [
  'queued',
  'leased',
  'submitted',
  'sent',
  'delivered',
  'failed',
  'undelivered',
  'delivery_unknown',
  'expired',
  'cancelled',
] as const;
export type MessageState = (typeof messageStates)[number];

/**
 * Why a message exists: a customer's message, or an SMS canary (a probe's test message between two of
 * the workspace's phones), which customers never see in message lists, webhooks or delivery figures.
 */
export const messagePurposes = ['customer', 'canary'] as const;
export type MessagePurpose = (typeof messagePurposes)[number];

/**
 * What a workspace API key may do: `admin` everything; `send` only send messages and read them back (for the
 * business's backend); `read` only read (`GET`), for dashboards.
 */
export const apiKeyScopes = ['admin', 'send', 'read'] as const;
export type ApiKeyScope = (typeof apiKeyScopes)[number];
