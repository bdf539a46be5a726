/**
 * The admin pages' view of the installation's scheduled backups (`BACKUP_DIR`): only the default
 * workspace's admins see them (they run the installation; other workspaces are its tenants).
 */
import { defaultWorkspace } from '@lifeline/db';
import type { BackupsAdmin } from '../../../status-site/src/read-model.ts';
import type { Deps } from '../deps.ts';

export function createBackupsAdmin(deps: Pick<Deps, 'db' | 'backups'>): BackupsAdmin {
  const mine = async (workspaceId: string) =>
    deps.backups && (await defaultWorkspace(deps.db))?.id === workspaceId ? deps.backups : null;
  return {
    async status(workspaceId) {
      const backups = await mine(workspaceId);
      if (!backups) return null;
      const s = await backups.status();
      return {
        dir: s.schedule.dir,
        intervalH: s.schedule.intervalMs / 3_600_000,
        keep: s.schedule.keep,
        lastSuccessAt: s.lastSuccessAt,
        lastFailureAt: s.lastFailureAt,
        running: s.running,
        backups: s.backups.slice(0, 20),
      };
    },
    async runNow(workspaceId, now) {
      const backups = await mine(workspaceId);
      if (!backups) return { ok: false, error: 'Backups are not scheduled here (BACKUP_DIR).' };
      const outcome = await backups.runNow(now);
      if (!outcome) return { ok: false, error: 'A backup is running already.' };
      if (!outcome.ok) return { ok: false, error: `The backup failed: ${outcome.error}` };
      return {
        ok: true,
        value: { name: outcome.backup.name, bytes: outcome.backup.manifest.databaseBytes },
      };
    },
  };
}
