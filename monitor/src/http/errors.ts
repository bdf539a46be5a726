import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ZodError } from 'zod';
import type { ErrorBody } from '../contract/errors.ts';

/** An error the caller caused; rendered as the blueprint's error shape with a 4xx. */
export class ApiError extends Error {
  readonly status: ContentfulStatusCode;
  readonly code: string;
  readonly field: string | undefined;
  constructor(status: ContentfulStatusCode, code: string, message: string, field?: string) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

export function errorBody(code: string, message: string, field?: string, requestId?: string): ErrorBody {
  return { error: { code, message, ...(field ? { field } : {}), ...(requestId ? { requestId } : {}) } };
}

export function renderError(c: Context, err: ApiError) {
  return c.json(errorBody(err.code, err.message, err.field), err.status);
}

/** The first zod issue as an ApiError naming the field (`sims.0.signalDbm`). */
export function validationError(error: ZodError, target: string): ApiError {
  const issue = error.issues[0];
  if (!issue) return new ApiError(400, 'invalid_request', `Invalid ${target}.`);
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    const field = [...issue.path, key].join('.');
    return new ApiError(400, 'unknown_field', `Unknown field '${field}'.`, field);
  }
  const field = issue.path.join('.');
  // zod 4 does not keep the input on issues; its message says what it received.
  if (issue.code === 'invalid_type' && issue.message.endsWith('received undefined')) {
    return new ApiError(400, 'missing_field', `Field '${field}' is required.`, field || undefined);
  }
  const where = field ? `'${field}'` : `the ${target}`;
  return new ApiError(400, 'invalid_field', `Invalid ${where}: ${issue.message}`, field || undefined);
}
