/** The admin pages' changes: the API's schema and code, with a refusal returned as its message. */
import type { z } from 'zod';
import type { AdminResult } from '../../../status-site/src/read-model.ts';
import { ApiError, validationError } from '../http/errors.ts';

/** Validates `input` with the API's schema, runs `f`, and turns a refusal into its message. */
export async function attempt<S extends z.ZodType, T>(
  schema: S,
  input: unknown,
  f: (body: z.output<S>) => Promise<T>,
): Promise<AdminResult<T>> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) return { ok: false, error: validationError(parsed.error, 'form').message };
  try {
    return { ok: true, value: await f(parsed.data) };
  } catch (err) {
    if (err instanceof ApiError) return { ok: false, error: err.message };
    throw err;
  }
}
