import {
  addSimUsageQuery,
  type Db,
  dueQueuedMessages,
  ensureComponentQuery,
  listDevices,
  simUsageSince,
  transitionQueries,
} from '@lifeline/db';
import { type Device, type Message, messages } from '@lifeline/db/schema';
import { and, eq, sql } from 'drizzle-orm';
import type { LeasedMessage } from '../contract/messages.ts';
import { carrierOf, isRoutable, reportsDelivery, simSlotsOf } from '../domain/routability.ts';
import { chooseRoute, type RoutingCandidate, type SimUsage } from '../domain/router.ts';
import { webhookPayloadOf } from './view.ts';

/** How long a device has to hand a leased message to its engine (it confirms with a `submitted` receipt first). */
export const LEASE_MS = 60_000;
/** Extra time the server waits past the lease before it reroutes, for receipts in flight. */
export const LEASE_GRACE_MS = 15_000;
/** How many queued messages one routing pass looks at. */
const SCAN_LIMIT = 500;

const MINUTE = 60_000;

/**
 * One routing pass for a device asking for work: routes the workspace's due queued messages across its
 * routable devices (see domain/router.ts) and leases to this device the ones routed to it, up to `max`.
 * Messages routed to another device stay queued for that device's next poll, so when a device goes away
 * its share simply flows to the others. Each lease is a compare-and-set, so two polls never lease one
 * message.
 */
export async function leaseForDevice(
  db: Db,
  input: { workspaceId: string; deviceId: string; max: number; now: number },
): Promise<LeasedMessage[]> {
  const { workspaceId, deviceId, now } = input;
  const devices = (await listDevices(db, workspaceId, { limit: 100_000 })).filter((d) => isRoutable(d, now));
  const me = devices.find((d) => d.id === deviceId);
  if (!me) return [];
  const queued = await dueQueuedMessages(db, workspaceId, now, SCAN_LIMIT);
  if (queued.length === 0) return [];

  const candidates = await routingCandidates(db, devices, now);
  const chosen: { message: Message; simSlot: number | null }[] = [];
  for (const message of queued) {
    if (chosen.length >= input.max) break;
    const route = chooseRoute(
      {
        recipient: message.recipient,
        segments: message.segments,
        preferredDeviceId: message.preferredDeviceId,
        group: message.deviceGroup,
        avoidDeviceId: message.avoidDeviceId,
      },
      candidates,
    );
    if (!route) continue;
    // Count the planned send against the chosen SIM, whichever device it is, so the rest of the pass
    // sees its room shrink and spills over.
    const sim = candidates
      .find((c) => c.deviceId === route.deviceId)!
      .sims.find((s) => s.slot === route.simSlot)!;
    sim.usedMinute += message.segments;
    sim.usedDay += message.segments;
    if (route.deviceId === deviceId) chosen.push({ message, simSlot: route.simSlot });
  }
  if (chosen.length === 0) return [];

  const deliveryReports = reportsDelivery(me.lastHealth);
  const queries = [];
  const updateIndex: number[] = [];
  for (const { message, simSlot } of chosen) {
    const to = { status: 'leased' as const, attempt: message.attempt + 1 };
    const set = {
      deviceId,
      simSlot,
      carrier: carrierOf(me.lastHealth, simSlot),
      leasedAt: now,
      deadlineAt: now + LEASE_MS + LEASE_GRACE_MS,
      nextAttemptAt: null,
      deliveryReports,
      stateRank: 1,
    };
    updateIndex.push(queries.length);
    queries.push(
      ...transitionQueries(db, {
        messageId: message.id,
        workspaceId,
        from: { status: 'queued', attempt: message.attempt },
        to,
        set,
        now,
        event: { source: 'router', deviceId, detail: simSlot === null ? null : { simSlot } },
        webhookPayload: webhookPayloadOf({
          ...message,
          ...set,
          status: 'leased',
          attempt: to.attempt,
          updatedAt: now,
        }),
      }),
      addSimUsageQuery(db, {
        deviceId,
        simSlot,
        minute: Math.floor(now / MINUTE),
        segments: message.segments,
        guard: sql`EXISTS (SELECT 1 FROM ${messages} WHERE ${and(
          eq(messages.id, message.id),
          eq(messages.status, 'leased'),
          eq(messages.attempt, to.attempt),
          eq(messages.deviceId, deviceId),
        )})`,
      }),
    );
  }
  // A carrier gets its status-page component the first time a message goes out through it.
  for (const carrier of new Set(chosen.map(({ simSlot }) => carrierOf(me.lastHealth, simSlot)))) {
    if (!carrier) continue;
    queries.push(
      ensureComponentQuery(db, {
        workspaceId,
        name: carrier,
        layer: 'carrier',
        source: `carrier:${carrier}`,
        position: 20,
        now,
      }),
    );
  }
  const [first, ...rest] = queries;
  const results = (await db.batch([first!, ...rest])) as unknown[];
  const leased: LeasedMessage[] = [];
  chosen.forEach(({ message, simSlot }, i) => {
    const won = (results[updateIndex[i]!] as unknown[]).length > 0;
    if (!won) return;
    leased.push({
      id: message.id,
      attempt: message.attempt + 1,
      to: message.recipient,
      text: message.body,
      encoding: message.encoding,
      segments: message.segments,
      simSlot,
      leaseMs: LEASE_MS,
      expiresAt: message.expiresAt,
    });
  });
  return leased;
}

/** Routable devices with their SIMs' usage: segments this sliding minute (estimated) and this day. */
async function routingCandidates(db: Db, devices: Device[], now: number): Promise<RoutingCandidate[]> {
  const nowMinute = Math.floor(now / MINUTE);
  const usage = await simUsageSince(
    db,
    devices.map((d) => d.id),
    nowMinute - 1439,
  );
  // Sliding-window estimate of the last 60 s: this minute plus the unexpired share of the previous one.
  const previousWeight = 1 - (now % MINUTE) / MINUTE;
  const byKey = new Map<string, SimUsage>();
  for (const d of devices) {
    for (const slot of simSlotsOf(d.lastHealth))
      byKey.set(`${d.id}:${slot ?? -1}`, { slot, usedMinute: 0, usedDay: 0 });
  }
  for (const u of usage) {
    const sim = byKey.get(`${u.deviceId}:${u.simSlot}`);
    if (!sim) continue;
    sim.usedDay += u.segments;
    if (u.minute === nowMinute) sim.usedMinute += u.segments;
    else if (u.minute === nowMinute - 1) sim.usedMinute += u.segments * previousWeight;
  }
  return devices.map((d) => ({
    deviceId: d.id,
    weight: d.weight,
    group: d.groupName,
    limits: { perMinute: d.simRatePerMinute, perDay: d.simRatePerDay },
    sims: simSlotsOf(d.lastHealth).map((slot) => byKey.get(`${d.id}:${slot ?? -1}`)!),
  }));
}
