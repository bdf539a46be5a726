/**
 * The routing policy: which of a workspace's devices sends a message. Pure; the caller supplies the
 * candidates (already filtered to routable devices) and their current usage.
 *
 * Rule: weighted rendezvous hashing on the recipient. Every (recipient, device) pair gets a score
 * `weight / -ln(u)` with `u` a hash in (0, 1); devices are tried from the highest score down. This gives
 * - weights: a device wins a share of recipients proportional to its weight (70/30, 50/50);
 * - stickiness: the same recipient ranks the devices the same way every time, so a conversation stays on
 *   one number while that device can send;
 * - minimal disruption: when a device drops out only its recipients move, and they return with it;
 * - weight 0: a standby device, used only when no weighted device can take the message.
 * A preferred device goes first, a device to avoid (its attempt failed) goes last. The first device with
 * a SIM that has room under its per-minute and per-day limits (counted in segments) takes the message.
 * A pinned message (an SMS canary, which tests one phone) goes through its preferred device only, and
 * through its pinned SIM when it has one, or waits.
 */

export interface SimUsage {
  /** SIM slot, or null when the driver does not choose SIMs. */
  slot: number | null;
  /** Segments handed out in the last minute / day. */
  usedMinute: number;
  usedDay: number;
}

export interface RoutingCandidate {
  deviceId: string;
  weight: number;
  group: string | null;
  sims: SimUsage[];
  limits: { perMinute: number; perDay: number };
}

export interface RoutableMessage {
  recipient: string;
  segments: number;
  preferredDeviceId: string | null;
  group: string | null;
  avoidDeviceId: string | null;
  /** Only `preferredDeviceId` may send it (and only through `pinnedSimSlot`, when set). */
  pinned?: boolean;
  pinnedSimSlot?: number | null;
}

export interface Route {
  deviceId: string;
  simSlot: number | null;
}

/** Candidates in the order the message should try them. */
export function rankCandidates(
  message: RoutableMessage,
  candidates: readonly RoutingCandidate[],
): RoutingCandidate[] {
  const scored = scoreCandidates(message, candidates);
  scored.sort(byRank);
  return scored.map((s) => s.c);
}

/**
 * The device and SIM that should send the message now, or null if none has room: the first candidate in
 * `rankCandidates` order with a SIM that has room. Picks the best-ranked candidate left instead of sorting
 * them all, since the first one usually has room.
 */
export function chooseRoute(message: RoutableMessage, candidates: readonly RoutingCandidate[]): Route | null {
  const scored = scoreCandidates(message, candidates);
  for (let left = scored.length; left > 0; left--) {
    let best = 0;
    for (let i = 1; i < left; i++) if (byRank(scored[i]!, scored[best]!) < 0) best = i;
    const { c } = scored[best]!;
    const sim = chooseSim(message, c);
    if (sim !== undefined) return { deviceId: c.deviceId, simSlot: sim };
    scored[best] = scored[left - 1]!;
  }
  return null;
}

interface Scored {
  c: RoutingCandidate;
  tier: number;
  score: number;
}

/** The message's group's candidates with their tier (preferred, weighted, standby, avoided) and score. */
function scoreCandidates(message: RoutableMessage, candidates: readonly RoutingCandidate[]): Scored[] {
  const scored: Scored[] = [];
  for (const c of candidates) {
    if (message.group !== null && c.group !== message.group) continue;
    if (message.pinned && c.deviceId !== message.preferredDeviceId) continue;
    let tier = 1;
    if (c.deviceId === message.preferredDeviceId) tier = 0;
    else if (c.deviceId === message.avoidDeviceId) tier = 3;
    else if (c.weight <= 0) tier = 2;
    scored.push({ c, tier, score: rendezvousScore(message.recipient, c.deviceId, Math.max(c.weight, 1)) });
  }
  return scored;
}

function byRank(a: Scored, b: Scored): number {
  return a.tier - b.tier || b.score - a.score || (a.c.deviceId < b.c.deviceId ? -1 : 1);
}

export interface PlannedRoute<M extends RoutableMessage> {
  message: M;
  route: Route;
}

/**
 * One routing pass over messages, in order (oldest first): each planned send counts against its SIM, so
 * later messages see the room shrink and spill over to the next device or SIM. Messages with no room
 * anywhere get no route and wait. Returns the routes and the candidates with their usage after them;
 * the inputs are left as they were.
 */
export function planRoutes<M extends RoutableMessage>(
  messages: readonly M[],
  candidates: readonly RoutingCandidate[],
): { routes: PlannedRoute<M>[]; candidates: RoutingCandidate[] } {
  const after = candidates.map((c) => ({ ...c, sims: c.sims.map((s) => ({ ...s })) }));
  const routes: PlannedRoute<M>[] = [];
  for (const message of messages) {
    const route = chooseRoute(message, after);
    if (!route) continue;
    const sim = after.find((c) => c.deviceId === route.deviceId)!.sims.find((s) => s.slot === route.simSlot)!;
    sim.usedMinute += message.segments;
    sim.usedDay += message.segments;
    routes.push({ message, route });
  }
  return { routes, candidates: after };
}

/** Whether any SIM of any candidate could take a one-segment message now (if not, no message can go). */
export function hasAnyRoom(candidates: readonly RoutingCandidate[]): boolean {
  return candidates.some((c) => c.sims.some((sim) => hasRoom(sim, 1, c.limits)));
}

/** The SIM of a device with room for the message (sticky per recipient), or undefined when none has. */
export function chooseSim(message: RoutableMessage, c: RoutingCandidate): number | null | undefined {
  const pin = message.pinned ? (message.pinnedSimSlot ?? null) : null;
  const sims = (pin === null ? [...c.sims] : c.sims.filter((s) => s.slot === pin)).sort(
    (a, b) =>
      rendezvousScore(message.recipient, `${c.deviceId}#${b.slot}`, 1) -
      rendezvousScore(message.recipient, `${c.deviceId}#${a.slot}`, 1),
  );
  for (const sim of sims) if (hasRoom(sim, message.segments, c.limits)) return sim.slot;
  return undefined;
}

/** Room under both limits; a message longer than the per-minute limit may go alone in an empty minute. */
export function hasRoom(sim: SimUsage, segments: number, limits: RoutingCandidate['limits']): boolean {
  const minuteOk = sim.usedMinute + segments <= limits.perMinute || sim.usedMinute === 0;
  const dayOk = sim.usedDay + segments <= limits.perDay;
  return minuteOk && dayOk;
}

/** Weighted rendezvous score: `weight / -ln(u)`, u uniform in (0, 1) from a 53-bit hash of the pair. */
export function rendezvousScore(key: string, node: string, weight: number): number {
  const u = (hash53(`${key}\u0000${node}`) + 0.5) / 2 ** 53;
  return weight / -Math.log(u);
}

/** cyrb53: a fast, well-mixed 53-bit string hash (not cryptographic). */
function hash53(str: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < str.length; i++) {
    const ch = str.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}
