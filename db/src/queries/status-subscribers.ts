import { and, desc, eq, sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { newId } from '../ids.ts';
import { statusSubscribers } from '../schema/index.ts';

/**
 * Records a pending email subscription to a workspace's status page. Idempotent per address: subscribing
 * again changes nothing, except that an address that had unsubscribed becomes pending again.
 */
export async function addStatusSubscriber(
  db: Db,
  input: { workspaceId: string; email: string; now: number },
): Promise<void> {
  await db
    .insert(statusSubscribers)
    .values({
      id: newId('sub', input.now),
      workspaceId: input.workspaceId,
      channel: 'email',
      email: input.email.trim().toLowerCase(),
      status: 'pending',
      createdAt: input.now,
    })
    .onConflictDoUpdate({
      target: [statusSubscribers.workspaceId, statusSubscribers.email],
      set: { status: 'pending', unsubscribedAt: null },
      setWhere: sql`${statusSubscribers.status} = 'unsubscribed'`,
    });
}

export function listStatusSubscribers(db: Db, workspaceId: string, limit: number) {
  return db
    .select()
    .from(statusSubscribers)
    .where(eq(statusSubscribers.workspaceId, workspaceId))
    .orderBy(desc(statusSubscribers.createdAt))
    .limit(limit);
}

export function countStatusSubscribers(db: Db, workspaceId: string, status: 'pending' | 'confirmed') {
  return db.$count(
    statusSubscribers,
    and(eq(statusSubscribers.workspaceId, workspaceId), eq(statusSubscribers.status, status)),
  );
}
