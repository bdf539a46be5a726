/**
 * Alert work between ticks, on Node: device-health rules are judged on ingest (a heartbeat reporting a
 * queue or a degraded phone gets its workspace's device-health rules evaluated at once, at most once a
 * second per workspace), and a group of notifications waiting a moment for companions is sent the
 * moment it is ready rather than a tick later. Workers have no timers between requests: there the tick
 * does both.
 */
import type { DispatchReport } from '@lifeline/alerts';
import type { Db } from '@lifeline/db';
import type { Clock } from '../clock.ts';
import type { HeartbeatBody } from '../contract/heartbeat.ts';
import type { Logger } from '../logger.ts';
import { evaluateWorkspace } from './evaluate.ts';

/** Whether a heartbeat says something a device-health rule may care about right now. */
export function worthJudging(body: HeartbeatBody): boolean {
  if (body.queue.depth > 0) return true;
  const b = body.battery;
  if (b && ((!b.charging && b.percent <= 30) || (b.temperatureC ?? 0) >= 40)) return true;
  return body.sims.some((s) => typeof s.signalDbm === 'number' && s.signalDbm <= -100);
}

const MIN_GAP_MS = 1_000;

export class AlertScheduler {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #dispatch: (now: number) => Promise<DispatchReport | null>;
  readonly #evaluating = new Map<string, NodeJS.Timeout>();
  readonly #lastEvaluation = new Map<string, number>();
  #dispatchTimer: NodeJS.Timeout | null = null;
  #dispatchAt = Number.POSITIVE_INFINITY;
  #closed = false;

  constructor(input: {
    db: Db;
    clock: Clock;
    logger: Logger;
    dispatch: (now: number) => Promise<DispatchReport | null>;
  }) {
    this.#db = input.db;
    this.#clock = input.clock;
    this.#logger = input.logger;
    this.#dispatch = input.dispatch;
  }

  /** After a group commit: judge the device-health rules of workspaces whose phones report trouble. */
  noticeHeartbeats(items: { workspaceId: string; body: HeartbeatBody }[]): void {
    for (const item of items) if (worthJudging(item.body)) this.#evaluateSoon(item.workspaceId);
  }

  #evaluateSoon(workspaceId: string): void {
    if (this.#closed || this.#evaluating.has(workspaceId)) return;
    const since = Date.now() - (this.#lastEvaluation.get(workspaceId) ?? 0);
    const timer = setTimeout(
      async () => {
        this.#lastEvaluation.set(workspaceId, Date.now());
        try {
          const transitions = await evaluateWorkspace(this.#db, workspaceId, this.#clock.now(), [
            'device_degraded',
            'queue_backlog',
          ]);
          if (transitions.some((t) => t.notifications > 0)) this.dispatchAt(this.#clock.now());
        } catch (err) {
          this.#logger.error('alert evaluation on ingest failed', { error: (err as Error).message });
        } finally {
          this.#evaluating.delete(workspaceId);
        }
      },
      Math.max(0, MIN_GAP_MS - since),
    );
    this.#evaluating.set(workspaceId, timer);
  }

  /** Delivers due notifications at `wakeAt` (clock time), or sooner if already asked for sooner. */
  dispatchAt(wakeAt: number | null): void {
    if (this.#closed || wakeAt === null || wakeAt >= this.#dispatchAt) return;
    if (this.#dispatchTimer) clearTimeout(this.#dispatchTimer);
    this.#dispatchAt = wakeAt;
    this.#dispatchTimer = setTimeout(
      async () => {
        this.#dispatchTimer = null;
        this.#dispatchAt = Number.POSITIVE_INFINITY;
        try {
          const report = await this.#dispatch(this.#clock.now());
          this.dispatchAt(report?.wakeAt ?? null);
        } catch (err) {
          this.#logger.error('alert dispatch failed', { error: (err as Error).message });
        }
      },
      Math.max(0, wakeAt - this.#clock.now()),
    );
  }

  close(): void {
    this.#closed = true;
    for (const t of this.#evaluating.values()) clearTimeout(t);
    if (this.#dispatchTimer) clearTimeout(this.#dispatchTimer);
  }
}
