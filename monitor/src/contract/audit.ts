import { auditActorKinds } from '@lifeline/db/schema';
import { z } from 'zod';

export const auditEventSchema = z
  .object({
    id: z.string().meta({ example: 'aud_42', description: 'Numbered in the order the log was written.' }),
    at: z.number().int(),
    actor: z.object({
      kind: z.enum(auditActorKinds),
      id: z.string(),
      label: z.string().meta({ description: "The key's name and prefix, or the admin's email." }),
    }),
    action: z.string().meta({ example: 'PATCH /v1/devices/:id' }),
    target: z.string().nullable(),
    fields: z
      .array(z.string())
      .meta({ description: 'Names of the fields the request set; never their values.' }),
    status: z.number().int().nullable().meta({
      description:
        '2xx/3xx: done; 4xx: refused; null: recorded before the change, outcome unknown (the server stopped or the database failed in between).',
    }),
    requestId: z.string().nullable(),
  })
  .meta({ id: 'AuditEvent' });

export const auditListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: z
    .string()
    .regex(/^aud_[0-9]{1,15}$/, { message: 'Use the nextCursor of the previous page (aud_<number>).' })
    .optional()
    .meta({ description: "The previous page's nextCursor." }),
});

export const auditListSchema = z.object({
  events: z.array(auditEventSchema),
  nextCursor: z.string().nullable(),
});
