import { z } from 'zod';

/** A workspace's slug: its status page lives at `/s/<slug>` (the default workspace also at `/`). */
export const workspaceSlugSchema = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/, {
    message:
      'Use 1 to 40 lower-case letters, digits and hyphens, starting and ending with a letter or digit.',
  })
  .meta({ example: 'acme' });

export const workspaceNameSchema = z.string().trim().min(1).max(100);

/** Seconds between heartbeats that devices are told to use: 10 s to 1 h. */
export const heartbeatIntervalSSchema = z.number().int().min(10).max(3_600);

export const workspaceSchema = z
  .object({
    id: z.string(),
    slug: z.string(),
    name: z.string().meta({ description: 'Shown as the status page title.' }),
    heartbeatIntervalS: z
      .number()
      .meta({ description: 'What every device is told in each heartbeat answer.' }),
    createdAt: z.number().int(),
    statusPageUrl: z.string(),
  })
  .meta({ id: 'Workspace' });

export const workspacePatchSchema = z
  .strictObject({
    name: workspaceNameSchema.optional(),
    slug: workspaceSlugSchema.optional(),
    heartbeatIntervalS: heartbeatIntervalSSchema.optional().meta({
      description:
        "Devices learn it from their next heartbeat's answer; each heartbeat is judged by the interval in force when it arrived.",
    }),
  })
  .refine((p) => Object.keys(p).length > 0, { message: 'Send at least one field to change.' })
  .meta({ id: 'WorkspacePatch' });

export type WorkspacePatch = z.infer<typeof workspacePatchSchema>;
