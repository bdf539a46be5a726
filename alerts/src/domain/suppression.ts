/**
 * Silences and maintenance windows suppress notifications, never the alert itself: the alert is still
 * recorded with its timeline, and the notification row is written as `suppressed` with the reason, so
 * an admin can see what was held back and why.
 */

export interface AlertSubject {
  ruleId: string;
  deviceId?: string | null;
  componentIds?: readonly string[];
}

export interface Silence {
  id: string;
  /** Each matcher that is set must match; a silence with none matches every alert of the workspace. */
  ruleId?: string | null;
  deviceId?: string | null;
  componentId?: string | null;
  startsAt: number;
  endsAt: number;
}

export interface MaintenanceWindow {
  id: string;
  startsAt: number;
  endsAt: number;
  /** null: the whole workspace. */
  componentIds: readonly string[] | null;
}

export type Suppression = { by: 'silence'; id: string } | { by: 'maintenance'; id: string } | null;

function silenceMatches(s: Silence, a: AlertSubject): boolean {
  if (s.ruleId && s.ruleId !== a.ruleId) return false;
  if (s.deviceId && s.deviceId !== a.deviceId) return false;
  if (s.componentId && !(a.componentIds ?? []).includes(s.componentId)) return false;
  return true;
}

/** Why a notification about `subject` at `now` is held back, or null when it may go out. */
export function suppressionOf(
  subject: AlertSubject,
  now: number,
  silences: readonly Silence[],
  maintenances: readonly MaintenanceWindow[],
): Suppression {
  for (const m of maintenances) {
    if (now < m.startsAt || now >= m.endsAt) continue;
    // Device alerts belong to the device connectivity components; a workspace-wide window covers all.
    if (m.componentIds === null || (subject.componentIds ?? []).some((c) => m.componentIds!.includes(c)))
      return { by: 'maintenance', id: m.id };
  }
  for (const s of silences) {
    if (now >= s.startsAt && now < s.endsAt && silenceMatches(s, subject)) return { by: 'silence', id: s.id };
  }
  return null;
}
