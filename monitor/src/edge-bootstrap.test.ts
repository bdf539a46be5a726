/**
 * edge:bootstrap's SQL run on a real migrated libSQL file (the same SQLite dialect D1 runs); the
 * wrangler path itself is exercised by the workerd test.
 */
import { findActiveApiKeyByHash, findAdminUserByEmail, findWorkspaceBySlug } from '@lifeline/db';
import { verifyPassword } from '@lifeline/status-site/password';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { edgeBootstrapSql, parseBootstrapArgs } from './edge-bootstrap.ts';
import { openIngestTestDatabase } from './ingest/test-database.ts';
import { normalizeEnrollmentCode, sha256Hex } from './secrets.ts';

let db: Awaited<ReturnType<typeof openIngestTestDatabase>>;
beforeAll(async () => {
  db = await openIngestTestDatabase([], Date.UTC(2026, 10, 1));
});
afterAll(() => db.close());

async function run(sql: string): Promise<number | null> {
  await db.database.client!.executeMultiple(sql);
  const last = sql.trim().split('\n').at(-1)!;
  const rs = await db.database.client!.execute(last);
  return (rs.rows[0]?.admin_ok as number | null) ?? null;
}

describe('edge:bootstrap', () => {
  it('makes the default workspace with a key, a code and the admin; a second run resets the password', async () => {
    const first = await edgeBootstrapSql(Date.now());
    expect(await run(first.sql)).toBe(1);
    const ws = await findWorkspaceBySlug(db.database.db, 'default');
    expect(ws?.name).toBe('My workspace');
    expect((await findActiveApiKeyByHash(db.database.db, sha256Hex(first.apiKey)))?.workspaceId).toBe(ws!.id);
    const code = await db.database.client!.execute({
      sql: 'SELECT workspace_id FROM enrollment_codes WHERE code_hash = ?',
      args: [sha256Hex(normalizeEnrollmentCode(first.enrollmentCode))],
    });
    expect(code.rows[0]?.workspace_id).toBe(ws!.id);
    const again = await edgeBootstrapSql(Date.now());
    expect(await run(again.sql)).toBe(1);
    const admin = await findAdminUserByEmail(db.database.db, 'admin@localhost');
    expect(await verifyPassword(again.admin.password, admin!.passwordHash)).toBe(true);
    expect(await verifyPassword(first.admin.password, admin!.passwordHash)).toBe(false);
  });

  it("adds another workspace with its own admin, and never takes over another workspace's admin", async () => {
    const acme = await edgeBootstrapSql(Date.now(), {
      slug: 'acme',
      name: "Acme's SMS",
      adminEmail: 'Ops@Acme.example',
    });
    expect(await run(acme.sql)).toBe(1);
    const ws = await findWorkspaceBySlug(db.database.db, 'acme');
    expect(ws?.name).toBe("Acme's SMS");
    expect((await findAdminUserByEmail(db.database.db, 'ops@acme.example'))?.workspaceId).toBe(ws!.id);

    const before = (await findAdminUserByEmail(db.database.db, 'admin@localhost'))!;
    const hijack = await edgeBootstrapSql(Date.now(), {
      slug: 'acme',
      name: 'x',
      adminEmail: 'admin@localhost',
    });
    expect(await run(hijack.sql)).toBe(0);
    const after = (await findAdminUserByEmail(db.database.db, 'admin@localhost'))!;
    expect(after).toEqual(before);
  });

  it('reads its own options, passes the rest to wrangler, and refuses bad ones naming them', () => {
    expect(
      parseBootstrapArgs([
        '--local',
        '--persist-to',
        'd',
        '--slug',
        'acme',
        '--name',
        'Acme',
        '--admin-email',
        'a@b.co',
      ]),
    ).toEqual({
      options: { slug: 'acme', name: 'Acme', adminEmail: 'a@b.co' },
      printOnly: false,
      wranglerArgs: ['--local', '--persist-to', 'd'],
    });
    expect(parseBootstrapArgs(['--print']).printOnly).toBe(true);
    expect(() => parseBootstrapArgs(['--slug', 'Bad Slug'])).toThrow(/^--slug: /);
    expect(() => parseBootstrapArgs(['--slug', 'acme', '--admin-email', 'a@b.co'])).toThrow(/^--name: /);
    expect(() => parseBootstrapArgs(['--slug', 'acme', '--name', 'Acme'])).toThrow(/^--admin-email: /);
    expect(() => parseBootstrapArgs(['--name'])).toThrow(/--name needs a value/);
  });
});
