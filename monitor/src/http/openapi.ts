import type { ZodType } from 'zod';
import { errorSchema } from '../contract/errors.ts';

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid request: the error names the field',
  401: 'Missing, invalid or revoked token',
  403: 'Not allowed (for example a paused device)',
  404: 'Not found in this workspace',
  409: 'Conflict',
  410: 'Gone (for example an expired or used enrolment code)',
  413: 'Body too large',
  415: 'Body is not JSON',
  429: 'Too many requests: try again later',
};

export function jsonContent<T extends ZodType>(schema: T, description: string) {
  return { content: { 'application/json': { schema } }, description };
}

export function jsonBody<T extends ZodType>(schema: T) {
  return { content: { 'application/json': { schema } }, required: true };
}

export function errorResponses<const S extends readonly (keyof typeof ERROR_DESCRIPTIONS & number)[]>(
  ...statuses: S
) {
  const out = {} as Record<S[number], ReturnType<typeof jsonContent<typeof errorSchema>>>;
  for (const s of statuses)
    (out as Record<number, unknown>)[s] = jsonContent(errorSchema, ERROR_DESCRIPTIONS[s]!);
  return out;
}
