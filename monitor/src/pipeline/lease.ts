import {
  addLeasedSimUsageQuery,
  assignedLoad,
  assignedMessages,
  assignMessagesQuery,
  type Db,
  ensureComponentQuery,
  findDevice,
  listDevices,
  releaseAssignmentsQuery,
  simUsageTotals,
  transitionQueries,
  unroutedQueuedMessages,
} from '@lifeline/db';
import type { Device, Message } from '@lifeline/db/schema';
import type { LeasedMessage } from '../contract/messages.ts';
import { carrierOf, isRoutable, reportsDelivery, simSlotsOf } from '../domain/routability.ts';
import { hasAnyRoom, hasRoom, planRoutes, type RoutingCandidate, type SimUsage } from '../domain/router.ts';
import type { RoutingPassOutcome, WorkNotifier } from './notifier.ts';
import { webhookPayloadOf } from './view.ts';

/** How long a device has to hand a leased message to its engine (it confirms with a `submitted` receipt first). */
export const LEASE_MS = 60_000;
/** Extra time the server waits past the lease before it reroutes, for receipts in flight. */
export const LEASE_GRACE_MS = 15_000;
/** A routing pass runs at least this often while devices poll, even when no one reported new work. */
export const ROUTING_REFRESH_MS = 2_000;
/** How many unrouted messages a routing pass reads at a time, and at most in all. */
const PAGE = 500;
const PASS_LIMIT = 5_000;

const MINUTE = 60_000;
const DAY_MINUTES = 1440;

/**
 * A routing pass for a workspace: assigns its due, unassigned queued messages, oldest first, to its
 * routable devices and SIMs (the policy is domain/router.ts), and records each decision on the message,
 * where the target's polls find it (`leaseForDevice`). Each message is routed once, not once per poll.
 * - Load: each SIM's segments handed out this sliding minute and this day, plus what is assigned to it
 *   and not leased yet, so a pass never plans past a limit and the overflow spills to the next device.
 * - Failover: assignments to a device that is no longer routable (offline, suspect, paused, failing
 *   health) are voided first and their messages routed again with the rest.
 * - A message no SIM has room for stays unassigned and waits for a later pass.
 * Assigning is not a state change: the message stays `queued` (no event, no webhook) until leased.
 */
export async function routeQueued(
  db: Db,
  input: { workspaceId: string; now: number },
): Promise<RoutingPassOutcome & { routed: number; released: number }> {
  const { workspaceId, now } = input;
  const devices = (await listDevices(db, workspaceId, { limit: 100_000 })).filter((d) => isRoutable(d, now));
  const routable = new Set(devices.map((d) => d.id));
  const load = await assignedLoad(db, workspaceId);
  const gone = [...new Set(load.map((l) => l.deviceId))].filter((id) => !routable.has(id));
  const released = load.filter((l) => gone.includes(l.deviceId)).reduce((n, l) => n + l.messages, 0);
  if (gone.length > 0) await releaseAssignmentsQuery(db, { workspaceId, deviceIds: gone });
  const outcome = {
    devicesWithWork: [] as string[],
    routable: [...routable],
    more: false,
    routed: 0,
    released,
  };

  let candidates = await routingCandidates(
    db,
    devices,
    now,
    load.filter((l) => routable.has(l.deviceId)),
  );
  const withWork = new Set<string>();
  let after: { createdAt: number; id: string } | undefined;
  for (let scanned = 0; hasAnyRoom(candidates); ) {
    const page = await unroutedQueuedMessages(db, workspaceId, { now, limit: PAGE, after });
    if (page.length === 0) break;
    const plan = planRoutes(
      page.map((m) => ({
        id: m.id,
        recipient: m.recipient,
        segments: m.segments,
        preferredDeviceId: m.preferredDeviceId,
        group: m.deviceGroup,
        avoidDeviceId: m.avoidDeviceId,
        pinned: m.purpose === 'canary',
        pinnedSimSlot: m.pinnedSimSlot,
      })),
      candidates,
    );
    candidates = plan.candidates;
    const byTarget = new Map<string, { deviceId: string; simSlot: number | null; messageIds: string[] }>();
    for (const { message, route } of plan.routes) {
      const key = `${route.deviceId}:${route.simSlot ?? -1}`;
      let target = byTarget.get(key);
      if (!target) {
        target = { ...route, messageIds: [] };
        byTarget.set(key, target);
      }
      target.messageIds.push(message.id);
      withWork.add(route.deviceId);
    }
    const queries = [...byTarget.values()].map((t) => assignMessagesQuery(db, { workspaceId, ...t }));
    const [first, ...rest] = queries;
    if (first) await db.batch([first, ...rest]);
    outcome.routed += plan.routes.length;
    scanned += page.length;
    if (page.length < PAGE) break;
    if (scanned >= PASS_LIMIT) {
      outcome.more = plan.routes.length > 0;
      break;
    }
    const last = page[page.length - 1]!;
    after = { createdAt: last.createdAt, id: last.id };
  }
  outcome.devicesWithWork = [...withWork];
  return outcome;
}

/**
 * What a device asking for work gets: the queued messages assigned to it, oldest first, up to `max`,
 * each leased with a compare-and-set, so two polls never lease one message. A routing pass runs first
 * when one is due (see `WorkNotifier.routingDue`; without a notifier, always), so the cost of a poll
 * follows what it hands out, not the size of the queue or of the fleet.
 *
 * Before leasing, each assignment is checked against the device as it is now: the SIM is still there,
 * the device still in the message's group, and the SIM has room (what concurrent passes planned can
 * exceed it); an assignment that fails goes back to the router.
 */
export async function leaseForDevice(
  db: Db,
  input: { workspaceId: string; deviceId: string; max: number; now: number },
  notifier?: WorkNotifier,
): Promise<LeasedMessage[]> {
  const { workspaceId, deviceId, now } = input;
  const me = await findDevice(db, workspaceId, deviceId);
  if (!me) return [];
  const routableNow = isRoutable(me, now);
  const pass = () => routeQueued(db, { workspaceId, now });
  if (!notifier) await pass();
  else
    await notifier.route(
      workspaceId,
      { now, refreshMs: ROUTING_REFRESH_MS, routableDeviceId: routableNow ? deviceId : undefined },
      pass,
    );
  if (!routableNow) return [];

  const mine = await assignedMessages(db, workspaceId, deviceId, input.max);
  if (mine.length === 0) return [];
  const [usage] = await simUsage(db, [me], now);
  const limits = { perMinute: me.simRatePerMinute, perDay: me.simRatePerDay };
  const chosen: { message: Message; simSlot: number | null }[] = [];
  const giveBack: string[] = [];
  for (const message of mine) {
    const simSlot = message.routedSimSlot;
    const sim = usage!.get(simSlot ?? -1);
    const inGroup = message.deviceGroup === null || message.deviceGroup === me.groupName;
    if (!sim || !inGroup || !hasRoom(sim, message.segments, limits)) {
      giveBack.push(message.id);
      continue;
    }
    sim.usedMinute += message.segments;
    sim.usedDay += message.segments;
    chosen.push({ message, simSlot });
  }
  if (giveBack.length > 0) {
    await releaseAssignmentsQuery(db, { workspaceId, deviceIds: [deviceId], messageIds: giveBack });
    notifier?.markDirty(workspaceId);
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
      routedDeviceId: null,
      routedSimSlot: null,
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
    );
  }
  queries.push(
    addLeasedSimUsageQuery(db, {
      deviceId,
      messageIds: chosen.map(({ message }) => message.id),
      leasedAt: now,
      minute: Math.floor(now / MINUTE),
    }),
  );
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

/**
 * Per device, its SIMs' usage: segments handed out this sliding minute (estimated: this minute plus the
 * unexpired share of the previous one) and this day. Slot -1 keys the driver's choice.
 */
async function simUsage(db: Db, devices: Device[], now: number): Promise<Map<number, SimUsage>[]> {
  const nowMinute = Math.floor(now / MINUTE);
  const totals = await simUsageTotals(
    db,
    devices.map((d) => d.id),
    { minute: nowMinute, fromMinute: nowMinute - (DAY_MINUTES - 1) },
  );
  const previousWeight = 1 - (now % MINUTE) / MINUTE;
  const byDevice = new Map<string, Map<number, SimUsage>>();
  for (const d of devices) {
    const sims = new Map<number, SimUsage>();
    for (const slot of simSlotsOf(d.lastHealth)) sims.set(slot ?? -1, { slot, usedMinute: 0, usedDay: 0 });
    byDevice.set(d.id, sims);
  }
  for (const t of totals) {
    const sim = byDevice.get(t.deviceId)?.get(t.simSlot);
    if (!sim) continue;
    sim.usedDay += Number(t.day);
    sim.usedMinute += Number(t.thisMinute) + Number(t.previousMinute) * previousWeight;
  }
  return devices.map((d) => byDevice.get(d.id)!);
}

/**
 * Routable devices as routing candidates, their SIMs' usage counting what is assigned to them and not
 * leased yet as if it went out now.
 */
async function routingCandidates(
  db: Db,
  devices: Device[],
  now: number,
  assigned: { deviceId: string; simSlot: number | null; segments: number }[],
): Promise<RoutingCandidate[]> {
  const usage = await simUsage(db, devices, now);
  const byId = new Map(devices.map((d, i) => [d.id, usage[i]!]));
  for (const a of assigned) {
    const sim = byId.get(a.deviceId)?.get(a.simSlot ?? -1);
    if (!sim) continue;
    sim.usedMinute += Number(a.segments);
    sim.usedDay += Number(a.segments);
  }
  return devices.map((d, i) => ({
    deviceId: d.id,
    weight: d.weight,
    group: d.groupName,
    limits: { perMinute: d.simRatePerMinute, perDay: d.simRatePerDay },
    sims: [...usage[i]!.values()],
  }));
}
