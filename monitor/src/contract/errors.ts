import { z } from 'zod';

export const errorSchema = z
  .object({
    error: z.object({
      code: z.string().meta({ example: 'invalid_field' }),
      message: z.string(),
      field: z.string().optional().meta({ description: 'Path of the offending field, dotted.' }),
      requestId: z.string().optional(),
    }),
  })
  .meta({ id: 'Error' });

export type ErrorBody = z.infer<typeof errorSchema>;
