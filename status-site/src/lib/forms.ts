/** Reading admin forms: trimmed, length-capped strings; choices from a fixed list; UTC datetimes. */

export function text(form: FormData, name: string, max = 500): string {
  const v = form.get(name);
  return typeof v === 'string' ? v.trim().slice(0, max) : '';
}

export function choice<T extends string>(form: FormData, name: string, options: readonly T[]): T | null {
  const v = form.get(name);
  return typeof v === 'string' && (options as readonly string[]).includes(v) ? (v as T) : null;
}

export function all(form: FormData, name: string, max = 200): string[] {
  return form
    .getAll(name)
    .filter((v): v is string => typeof v === 'string')
    .slice(0, max);
}

/** A `datetime-local` value read as UTC (the admin pages show and take times in UTC). */
export function utcDateTime(form: FormData, name: string): number | null {
  const v = text(form, name, 40);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(v)) return null;
  const t = Date.parse(`${v}Z`);
  return Number.isNaN(t) ? null : t;
}

/** The value for a `datetime-local` input showing a UTC time. */
export function toDateTimeLocal(t: number): string {
  return new Date(t).toISOString().slice(0, 16);
}

/** Only paths inside the admin pages may be redirected to after sign-in (no open redirect). */
export function safeNext(next: string | null): string {
  return next && /^\/admin(\/[\w\-/?=&%.]*)?$/.test(next) && !next.startsWith('//') ? next : '/admin';
}
