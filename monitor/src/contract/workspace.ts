import { z } from 'zod';

/** A workspace's slug: its status page lives at `/s/<slug>` (the default workspace also at `/`). */
export const workspaceSlugSchema = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/, {
    message:
      'Use 1 to 40 lower-case letters, digits and hyphens, starting and ending with a letter or digit.',
  })
  .meta({ example: 'acme' });

/** A host name of the business's own for its status page: letters, digits and hyphens in dotted labels. */
export const customDomainSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(253)
  .regex(/^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/, {
    message: 'Use a host name such as status.example.com: no scheme, port or path.',
  })
  .meta({ example: 'status.example.com' });

export const workspaceNameSchema = z.string().trim().min(1).max(100);

/** Seconds between heartbeats that devices are told to use: 10 s to 1 h. */
export const heartbeatIntervalSSchema = z.number().int().min(10).max(3_600);

/** A link shown on the status page: only web addresses (and, for support, mailto:), never a script URL. */
const webUrl = z.url({ protocol: /^https?$/ }).max(2_048);
const supportUrl = z
  .string()
  .max(2_048)
  .refine((v) => /^mailto:[^\s@]+@[^\s@]+$/.test(v) || webUrl.safeParse(v).success, {
    message: 'Use an http(s) address or mailto:someone@example.com.',
  });

export const workspaceSchema = z
  .object({
    id: z.string(),
    slug: z.string(),
    name: z.string().meta({ description: 'Shown as the status page title.' }),
    heartbeatIntervalS: z
      .number()
      .meta({ description: 'What every device is told in each heartbeat answer.' }),
    about: z.string().nullable().meta({ description: 'Shown under the status page title.' }),
    websiteUrl: z
      .string()
      .nullable()
      .meta({ description: "The business's site, linked from the status page." }),
    supportUrl: z
      .string()
      .nullable()
      .meta({ description: 'Where customers report a problem (https or mailto:).' }),
    customDomain: z.string().nullable().meta({
      description:
        'A host name of your own that serves the status page too (DNS pointed here, TLS at your proxy).',
    }),
    createdAt: z.number().int(),
    statusPageUrl: z.string(),
  })
  .meta({ id: 'Workspace' });

export const workspacePatchSchema = z
  .strictObject({
    name: workspaceNameSchema.optional(),
    slug: workspaceSlugSchema.optional(),
    about: z.string().trim().max(500).nullable().optional().meta({ description: 'null or "" clears it.' }),
    websiteUrl: webUrl.nullable().optional(),
    supportUrl: supportUrl.nullable().optional(),
    customDomain: customDomainSchema.nullable().optional().meta({ description: 'null removes it.' }),
    heartbeatIntervalS: heartbeatIntervalSSchema.optional().meta({
      description:
        "Devices learn it from their next heartbeat's answer; each heartbeat is judged by the interval in force when it arrived.",
    }),
  })
  .refine((p) => Object.keys(p).length > 0, { message: 'Send at least one field to change.' })
  .meta({ id: 'WorkspacePatch' });

export type WorkspacePatch = z.infer<typeof workspacePatchSchema>;
