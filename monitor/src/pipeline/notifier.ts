/** What a routing pass reports back to the notifier. */
export interface RoutingPassOutcome {
  /** Devices that were assigned new messages: their waiting polls are woken. */
  devicesWithWork: string[];
  /** The devices the pass could route to. */
  routable: string[];
  /** The pass stopped at its size limit with messages left to route: the next poll runs another. */
  more: boolean;
}

interface Waiter {
  deviceId: string;
  wake: () => void;
}

interface WorkspaceState {
  /** Bumped by every `notify`. */
  version: number;
  /** Bumped per device by every `wake` that names it. */
  deviceVersions: Map<string, number>;
  /** Waiting polls, oldest first. */
  waiters: Set<Waiter>;
  /** New or returned work arrived since the last routing pass started. */
  dirty: boolean;
  lastPassAt: number | null;
  routable: Set<string>;
  running: Promise<void> | null;
}

/**
 * Coordinates a workspace's long-polling devices with its routing passes, in-process (on the edge, where
 * requests land in many isolates, each isolate has its own and the long poll re-checks every few seconds).
 *
 * - New or returned work (`notify`) marks the workspace as needing a routing pass and wakes one waiting
 *   poll to run it; the pass then wakes only the devices it gave work (`wake`). So an accepted message
 *   costs one pass and the polls of the devices that got something, whatever the size of the fleet.
 * - Passes are single-flight per workspace: a poll that needs one while another runs waits for it.
 * - A poll takes a `version` before it looks for work and waits `since` that version, so a notify or
 *   wake that lands while it is looking is not missed.
 */
export class WorkNotifier {
  readonly #spaces = new Map<string, WorkspaceState>();

  #space(workspaceId: string): WorkspaceState {
    let s = this.#spaces.get(workspaceId);
    if (!s) {
      s = {
        version: 0,
        deviceVersions: new Map(),
        waiters: new Set(),
        dirty: true,
        lastPassAt: null,
        routable: new Set(),
        running: null,
      };
      this.#spaces.set(workspaceId, s);
    }
    return s;
  }

  /** New or returned work in the workspace: a routing pass is due, run by one waiting poll woken here. */
  notify(workspaceId: string): void {
    const s = this.#space(workspaceId);
    s.dirty = true;
    s.version++;
    const [first] = s.waiters;
    first?.wake();
  }

  /** These devices were given work: wake their waiting polls (and make in-flight ones look again). */
  wake(workspaceId: string, deviceIds: Iterable<string>): void {
    const s = this.#space(workspaceId);
    const woken = new Set<string>();
    for (const id of deviceIds) {
      s.deviceVersions.set(id, (s.deviceVersions.get(id) ?? 0) + 1);
      woken.add(id);
    }
    for (const w of [...s.waiters]) if (woken.has(w.deviceId)) w.wake();
  }

  /** Changes whenever a notify or a wake for this device happens; pass it to `wait`. */
  version(workspaceId: string, deviceId: string): number {
    const s = this.#space(workspaceId);
    return s.version + (s.deviceVersions.get(deviceId) ?? 0);
  }

  /**
   * Resolves on the next notify for the workspace (if this poll is the one picked to route) or wake for
   * this device, after `ms`, or when `signal` aborts; at once if either happened since `since` was read.
   */
  wait(
    workspaceId: string,
    deviceId: string,
    since: number,
    ms: number,
    signal?: AbortSignal,
  ): Promise<void> {
    if (this.version(workspaceId, deviceId) !== since || signal?.aborted) return Promise.resolve();
    const s = this.#space(workspaceId);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        deviceId,
        wake: () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', waiter.wake);
          s.waiters.delete(waiter);
          resolve();
        },
      };
      const timer = setTimeout(waiter.wake, ms);
      signal?.addEventListener('abort', waiter.wake);
      s.waiters.add(waiter);
    });
  }

  /**
   * Whether a routing pass is due: work arrived since the last one started, none ran yet, the last is
   * `refreshMs` old (assignments to devices that stopped being routable, freed send room, retries whose
   * backoff ended, work accepted by another process), or the asking device, routable now, was not when
   * it ran.
   */
  routingDue(workspaceId: string, now: number, refreshMs: number, routableDeviceId?: string): boolean {
    const s = this.#space(workspaceId);
    if (s.dirty || s.lastPassAt === null || Math.abs(now - s.lastPassAt) >= refreshMs) return true;
    return routableDeviceId !== undefined && !s.routable.has(routableDeviceId);
  }

  /**
   * Runs `pass` if a routing pass is due (see `routingDue`), one at a time per workspace: while another
   * runs, waits for it and then checks again. Wakes the devices the pass gave work.
   */
  async route(
    workspaceId: string,
    due: { now: number; refreshMs: number; routableDeviceId?: string },
    pass: () => Promise<RoutingPassOutcome>,
  ): Promise<void> {
    const s = this.#space(workspaceId);
    for (;;) {
      if (s.running) {
        await s.running.catch(() => {});
        continue;
      }
      if (!this.routingDue(workspaceId, due.now, due.refreshMs, due.routableDeviceId)) return;
      s.dirty = false;
      const run = Promise.resolve()
        .then(pass)
        .then(
          (outcome) => {
            s.lastPassAt = due.now;
            s.routable = new Set(outcome.routable);
            if (outcome.more) s.dirty = true;
            this.wake(workspaceId, outcome.devicesWithWork);
          },
          (err: unknown) => {
            s.dirty = true;
            throw err;
          },
        )
        .finally(() => {
          s.running = null;
        });
      s.running = run;
      await run;
      return;
    }
  }

  /** Assignments were given back (a device could not take them): route again on the next poll. */
  markDirty(workspaceId: string): void {
    this.#space(workspaceId).dirty = true;
  }
}
