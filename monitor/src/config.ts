import { z } from 'zod';
import { decodeSecretsKey, SecretBoxError } from './secret-box.ts';

const databaseUrl = z
  .string()
  .regex(/^(file:|libsql:\/\/|https?:\/\/)/, 'must start with file:, libsql://, http:// or https://');

/** Lifeline's settings, from environment variables with safe defaults. */
export const configSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(8787),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: databaseUrl.default('file:./data/lifeline.db'),
  DATABASE_AUTH_TOKEN: z.string().min(1).optional(),
  PUBLIC_URL: z.url().optional(),
  LOG_LEVEL: z.enum(['info', 'warn', 'error', 'silent']).default('info'),
  TICK_INTERVAL_S: z.coerce.number().int().min(1).max(60).default(5),
  /** Heartbeat interval of the workspace made on the first start (devices learn it from each answer). */
  HEARTBEAT_INTERVAL_S: z.coerce.number().int().min(1).max(600).default(30),
  /** Alert email through Resend; without it, emails go to MAIL_LOG. */
  RESEND_API_KEY: z.string().min(1).optional(),
  ALERT_EMAIL_FROM: z.string().min(3).default('Lifeline <alerts@lifeline.invalid>'),
  /** Where alert emails are written without RESEND_API_KEY (default: mail.log beside a file database). */
  MAIL_LOG: z.string().min(1).optional(),
  /** The contact push services see for web push (`mailto:` or `https:`). */
  VAPID_SUBJECT: z
    .string()
    .regex(/^(mailto:|https:\/\/)/, 'must start with mailto: or https://')
    .optional(),
  RETENTION_DAYS: z.coerce.number().int().min(1).max(90).default(7),
  ROLLUP_RETENTION_DAYS: z.coerce.number().int().min(95).max(3650).default(400),
  /** Customers' messages and webhook deliveries; longer than any message's TTL (7 days). */
  MESSAGE_RETENTION_DAYS: z.coerce.number().int().min(8).max(3650).default(30),
  /** Scheduled backups of a `file:` database go here (unset: none; `npm run backup` still works). */
  BACKUP_DIR: z.string().min(1).optional(),
  BACKUP_INTERVAL_H: z.coerce.number().int().min(1).max(168).default(24),
  BACKUP_KEEP: z.coerce.number().int().min(1).max(1000).default(7),
  /** Encrypts stored secrets (webhook signing secrets); base64 of 32 bytes. */
  SECRETS_KEY: z
    .string()
    .superRefine((value, ctx) => {
      try {
        decodeSecretsKey(value);
      } catch (err) {
        if (!(err instanceof SecretBoxError)) throw err;
        ctx.addIssue({ code: 'custom', message: err.message });
      }
    })
    .optional(),
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {}

/** Parses the environment; a bad value throws a ConfigError naming the variable. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = configSchema.safeParse(present);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return result.data;
}

/** For command-line tools: the configuration, or null after printing what is wrong (exit with 2). */
export function loadConfigOrReport(env: Record<string, string | undefined>): Config | null {
  try {
    return loadConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    return null;
  }
}

const retentionSchema = configSchema.pick({
  RETENTION_DAYS: true,
  ROLLUP_RETENTION_DAYS: true,
  MESSAGE_RETENTION_DAYS: true,
});

/**
 * The retention settings alone, from an environment that may hold other things (a Worker's `env`): the
 * same names, defaults and bounds as on Node. A bad value throws a ConfigError naming it.
 */
export function retentionFromEnv(env: Record<string, unknown>): {
  rawDays: number;
  rollupDays: number;
  messageDays: number;
} {
  const present = Object.fromEntries(
    Object.entries(env).filter(([k, v]) => k in retentionSchema.shape && v !== undefined && v !== ''),
  );
  const result = retentionSchema.safeParse(present);
  if (!result.success)
    throw new ConfigError(
      `Invalid configuration:\n${result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`,
    );
  return {
    rawDays: result.data.RETENTION_DAYS,
    rollupDays: result.data.ROLLUP_RETENTION_DAYS,
    messageDays: result.data.MESSAGE_RETENTION_DAYS,
  };
}
