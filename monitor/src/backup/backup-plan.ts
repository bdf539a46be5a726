/**
 * Pure rules for backups of the embedded database: how a backup folder is named, which backups a
 * `keep` count removes, and when the next scheduled one is due. The I/O is in `backup.ts`.
 */

/** `lifeline-2026-11-24T14-05-09Z`: sorts by time as text, and is a valid folder name everywhere. */
const NAME = /^lifeline-(\d{4})-(\d{2})-(\d{2})T(\d{2})-(\d{2})-(\d{2})Z$/;

export function backupName(at: number): string {
  const iso = new Date(at).toISOString(); // 2026-11-24T14:05:09.123Z
  return `lifeline-${iso.slice(0, 10)}T${iso.slice(11, 19).replaceAll(':', '-')}Z`;
}

/** The time a backup folder's name says it was taken; null for any other name. */
export function backupTime(name: string): number | null {
  const m = NAME.exec(name);
  if (!m) return null;
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  const at = Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
  return backupName(at) === name ? at : null;
}

/** Of these folder names, the backups to delete so that the `keep` newest remain; other names are never touched. */
export function backupsToPrune(names: string[], keep: number): string[] {
  const backups = names.filter((n) => backupTime(n) !== null).sort();
  return backups.slice(0, Math.max(0, backups.length - keep));
}

/** When the next scheduled backup is due: at once without one, else one interval after the newest. */
export function nextBackupAt(newestAt: number | null, intervalMs: number): number {
  return newestAt === null ? 0 : newestAt + intervalMs;
}
