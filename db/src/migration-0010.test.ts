import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Database } from './client.ts';
import { migrationsFolder } from './migrate.ts';

let dir: string;
let database: Database;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lifeline-m0010-'));
  database = await createDb(`file:${join(dir, 'm.db')}`);
});
afterAll(async () => {
  database.close();
  await rm(dir, { recursive: true, force: true });
});

describe('migration 0010 (public subscriptions)', () => {
  it('keeps the alert notifications and email subscribers written before it, with the new columns at their defaults', async () => {
    const client = database.client!;
    const files = (await readdir(migrationsFolder)).filter((f) => f.endsWith('.sql')).sort();
    const apply = async (file: string) => {
      const text = await readFile(join(migrationsFolder, file), 'utf8');
      for (const statement of text.split('--> statement-breakpoint')) {
        if (statement.trim()) await client.execute(statement);
      }
    };
    for (const f of files.filter((f) => f < '0010')) await apply(f);
    await client.execute(`INSERT INTO workspaces (id, slug, name, created_at) VALUES ('w', 'w', 'w', 1)`);
    await client.execute(
      `INSERT INTO status_subscribers (id, workspace_id, channel, email, status, created_at)
       VALUES ('s1', 'w', 'email', 'a@example.com', 'pending', 1), ('s2', 'w', 'email', 'b@example.com', 'confirmed', 2)`,
    );
    await client.execute(
      `INSERT INTO notifications (id, workspace_id, alert_id, subscription_id, channel, kind, group_key, dedup_key,
         due_at, next_attempt_at, deadline_at, created_at)
       VALUES ('n1', 'w', 'alr1', 'as1', 'email', 'fire', 'g', 'd1', 1, 1, 9, 1)`,
    );
    for (const f of files.filter((f) => f >= '0010')) await apply(f);

    const subs = await client.execute(
      'SELECT id, channel, email, endpoint, status FROM status_subscribers ORDER BY id',
    );
    expect(subs.rows.map((r) => ({ ...r }))).toEqual([
      { id: 's1', channel: 'email', email: 'a@example.com', endpoint: null, status: 'pending' },
      { id: 's2', channel: 'email', email: 'b@example.com', endpoint: null, status: 'confirmed' },
    ]);
    const n = await client.execute(
      'SELECT audience, alert_id, announcement_id, kind, status FROM notifications',
    );
    expect(n.rows.map((r) => ({ ...r }))).toEqual([
      { audience: 'admin', alert_id: 'alr1', announcement_id: null, kind: 'fire', status: 'pending' },
    ]);
  });
});
