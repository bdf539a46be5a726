/** What every workspace starts with: the default components (Lifeline itself, its phones) and alert rules. */
import { type Db, defaultComponentsQueries, insertAlertRulesQuery } from '@lifeline/db';
import { sql } from 'drizzle-orm';
import { defaultAlertRuleRows } from './alerting/evaluate.ts';

export function workspaceDefaultsQueries(db: Db, workspaceId: string, now: number) {
  return [
    ...defaultComponentsQueries(db, workspaceId, now),
    insertAlertRulesQuery(db, defaultAlertRuleRows(workspaceId, now)),
  ] as const;
}

/**
 * Gives the defaults to every workspace made without them: by `edge:bootstrap`'s SQL, or before alerting
 * existed. Such a workspace has no alert rules (rules can be disabled, not deleted); components that
 * exist already are kept (one per source).
 */
export async function ensureWorkspaceDefaults(db: Db, now: number): Promise<void> {
  const rows = await db.all<{ id: string }>(
    sql`SELECT id FROM workspaces WHERE id NOT IN (SELECT DISTINCT workspace_id FROM alert_rules)`,
  );
  for (const { id } of rows) {
    const [first, ...rest] = workspaceDefaultsQueries(db, id, now);
    await db.batch([first, ...rest]);
  }
}
