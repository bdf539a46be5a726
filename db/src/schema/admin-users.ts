import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { workspaces } from './workspaces.ts';

/**
 * People who sign in to the admin pages of a workspace. `passwordHash` is a self-describing scrypt string
 * (`scrypt$N$r$p$salt$hash`, base64url), so the cost can be raised later without a migration.
 */
export const adminUsers = sqliteTable(
  'admin_users',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    /** Lower-cased. */
    email: text('email').notNull().unique(),
    passwordHash: text('password_hash').notNull(),
    createdAt: integer('created_at').notNull(),
    lastLoginAt: integer('last_login_at'),
    disabledAt: integer('disabled_at'),
    /**
     * Two-factor sign-in (TOTP): the authenticator secret sealed with SECRETS_KEY, set when set-up starts;
     * `totpEnabledAt` once a code confirmed it. `totpLastStep` is the last 30 s step a code was accepted for
     * (a code works once); recovery codes are kept as SHA-256 hashes, each removed when used.
     */
    totpSecretCiphertext: text('totp_secret_ciphertext'),
    totpEnabledAt: integer('totp_enabled_at'),
    totpLastStep: integer('totp_last_step'),
    recoveryCodeHashes: text('recovery_code_hashes', { mode: 'json' }).$type<string[]>(),
  },
  (t) => [index('admin_users_workspace_idx').on(t.workspaceId)],
);

/**
 * A signed-in browser. The cookie holds a random token; only its SHA-256 hash is stored. `csrfToken` is
 * the synchronizer token every POST form of this session must carry.
 */
export const adminSessions = sqliteTable(
  'admin_sessions',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => adminUsers.id),
    workspaceId: text('workspace_id').notNull(),
    tokenHash: text('token_hash').notNull().unique(),
    csrfToken: text('csrf_token').notNull(),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
    revokedAt: integer('revoked_at'),
    /** The password was right but the second factor is still owed: only the code page is open to it. */
    mfaPending: integer('mfa_pending', { mode: 'boolean' }).notNull().default(false),
  },
  (t) => [index('admin_sessions_user_idx').on(t.userId)],
);

/** Failed sign-ins, keyed `ip:<address>` and `email:<address>`, for rate limiting; old rows are pruned. */
export const adminLoginFailures = sqliteTable(
  'admin_login_failures',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    key: text('key').notNull(),
    at: integer('at').notNull(),
  },
  (t) => [index('admin_login_failures_key_idx').on(t.key, t.at)],
);

export type AdminUser = typeof adminUsers.$inferSelect;
export type AdminSession = typeof adminSessions.$inferSelect;
