/**
 * An alert's lifecycle: pending -> firing -> resolved, keyed by a dedupe key (rule + subject), so the same
 * condition seen again on the next evaluation is the same alert, never a second one. A condition must hold
 * for `forMs` before the alert fires (0 fires at once: liveness already has its own grace); while firing, a
 * reminder is due every `repeatIntervalMs`; it resolves once the condition has been clear for
 * `clearForMs` (hysteresis against flapping). An acknowledged alert gets no more reminders. Pure: the caller stores the instance and writes a
 * notification for every transition that says `notify`.
 */

export type AlertState = 'pending' | 'firing' | 'resolved';

export interface AlertInstance {
  dedupeKey: string;
  state: AlertState;
  /** When the condition was first seen in this episode. */
  startedAt: number;
  firedAt: number | null;
  resolvedAt: number | null;
  /** Last time subscribers were told (fire or reminder). */
  lastNotifiedAt: number | null;
  /** While firing: since when the condition has been clear, if it is. */
  clearSince: number | null;
  /** Someone acknowledged it: no more reminders (the resolution is still told). */
  acknowledgedAt?: number | null;
}

export interface LifecyclePolicy {
  forMs: number;
  repeatIntervalMs: number;
  clearForMs: number;
}

export type TransitionKind = 'pending' | 'fire' | 'remind' | 'resolve' | 'cancel';

export interface Step {
  /** The instance to store: undefined when there is nothing to keep (a pending one that cleared). */
  next: AlertInstance | undefined;
  transition: TransitionKind | null;
  /** Whether subscribers hear about this transition. */
  notify: boolean;
}

function fire(base: AlertInstance, now: number): Step {
  return {
    next: { ...base, state: 'firing', firedAt: now, lastNotifiedAt: now, clearSince: null },
    transition: 'fire',
    notify: true,
  };
}

/** Advances one alert by one evaluation: is the condition `active` at `now`? */
export function stepAlert(
  current: AlertInstance | undefined,
  dedupeKey: string,
  active: boolean,
  now: number,
  policy: LifecyclePolicy,
): Step {
  const live = current && current.state !== 'resolved' ? current : undefined;
  if (!live) {
    if (!active) return { next: current, transition: null, notify: false };
    const fresh: AlertInstance = {
      dedupeKey,
      state: 'pending',
      startedAt: now,
      firedAt: null,
      resolvedAt: null,
      lastNotifiedAt: null,
      clearSince: null,
    };
    if (policy.forMs <= 0) return fire(fresh, now);
    return { next: fresh, transition: 'pending', notify: false };
  }
  if (live.state === 'pending') {
    if (!active) return { next: undefined, transition: 'cancel', notify: false };
    if (now - live.startedAt >= policy.forMs) return fire(live, now);
    return { next: live, transition: null, notify: false };
  }
  // firing
  if (!active) {
    const clearSince = live.clearSince ?? now;
    if (now - clearSince >= policy.clearForMs) {
      return {
        next: { ...live, state: 'resolved', resolvedAt: now, clearSince },
        transition: 'resolve',
        notify: true,
      };
    }
    return { next: { ...live, clearSince }, transition: null, notify: false };
  }
  const sinceTold = now - (live.lastNotifiedAt ?? live.firedAt ?? now);
  if (policy.repeatIntervalMs > 0 && sinceTold >= policy.repeatIntervalMs && !live.acknowledgedAt) {
    return { next: { ...live, lastNotifiedAt: now, clearSince: null }, transition: 'remind', notify: true };
  }
  return {
    next: live.clearSince === null ? live : { ...live, clearSince: null },
    transition: null,
    notify: false,
  };
}
