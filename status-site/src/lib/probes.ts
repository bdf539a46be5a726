/**
 * The probes admin pages' wording and forms. A kind's form is drawn from its description in the read model
 * (`ProbeKindForm`, from the API's schema), so a new kind needs no page change: at most a label here. Values
 * are read back as the API takes them and checked by the API's schema, which words the refusals.
 */
import type { ProbeField, ProbeKindForm, ProbeStatus, ProbeView } from '../read-model.ts';
import { hourMinute } from './format.ts';

export const KIND_LABEL: Record<string, string> = {
  http: 'HTTP check',
  statuspage: 'Statuspage page',
  feed: 'RSS/Atom status feed',
  whatsapp: 'WhatsApp Business health',
  self: 'Self-probe (this Lifeline)',
  sms_canary: 'SMS canary',
};

export const PROBE_STATUS_LABEL: Record<ProbeStatus, string> = {
  up: 'Up',
  degraded: 'Degraded',
  down: 'Down',
  unknown: 'Unknown',
};

const FIELD_LABEL: Record<string, string> = {
  url: 'URL',
  baseUrl: 'Base URL',
  method: 'Method',
  headers: 'Request headers (Name: value, one a line)',
  body: 'Request body',
  'expectStatus.min': 'Expected status from',
  'expectStatus.max': 'Expected status to',
  keyword: 'Keyword',
  keywordAbsent: 'Down when the keyword is present',
  'jsonPath.path': 'JSON path',
  'jsonPath.equals': 'JSON path equals (a number, true/false, null, or text)',
  degradedLatencyMs: 'Degraded above (ms)',
  tlsWarnDays: 'Warn before certificate expiry (days)',
  components: 'Upstream components to follow (one a line; none: the page indicator)',
  match: 'Only entries mentioning',
  maxAgeMs: 'Ignore entries older than (ms)',
  nodeId: 'Graph API node id',
  graphVersion: 'Graph API version',
  accessToken: 'Access token',
  secretHeaders: 'Secret headers (Name: value, one a line)',
  fromDeviceId: 'Sending phone',
  fromSimSlot: 'Sending SIM slot (0-based)',
  toDeviceId: 'Receiving phone',
  toNumber: 'Receiving number (E.164)',
};

/** `sms_canary` -> `Sms canary`, `expectStatus.min` -> `Expect status min`, `maxAgeMs` -> `Max age (ms)`. */
function humanize(key: string): string {
  const ms = key.endsWith('Ms');
  const words = (ms ? key.slice(0, -2) : key)
    .replace(/[._]/g, ' ')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .trim();
  return `${words.charAt(0).toUpperCase()}${words.slice(1)}${ms ? ' (ms)' : ''}`;
}

export const kindLabel = (kind: string) => KIND_LABEL[kind] ?? humanize(kind);
export const fieldLabel = (path: string) => FIELD_LABEL[path] ?? humanize(path);

/** The form field's name: `c.<path>` for the kind's config, `s.<name>` for its secrets. */
export const fieldName = (path: string) => `c.${path}`;
export const secretName = (name: string) => `s.${name}`;

/** Fields holding a device id are drawn as a choice of the workspace's phones. */
export const isDeviceField = (f: ProbeField) => /DeviceId$/.test(f.path);

function at(config: Record<string, unknown>, path: string): unknown {
  let v: unknown = config;
  for (const key of path.split('.'))
    v = v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined;
  return v;
}

/** A config value as its form field shows it (`true` for a ticked box). */
export function shownValue(field: ProbeField, config: Record<string, unknown>): string | boolean {
  const v = at(config, field.path);
  if (field.input === 'checkbox') return v === true;
  if (v === undefined || v === null) return field.input === 'json' && v === null ? 'null' : '';
  if (field.input === 'lines') return Array.isArray(v) ? v.map(String).join('\n') : String(v);
  if (field.input === 'map')
    return typeof v === 'object'
      ? Object.entries(v as Record<string, unknown>)
          .map(([k, x]) => `${k}: ${String(x)}`)
          .join('\n')
      : String(v);
  if (field.input === 'json') return typeof v === 'string' ? v : JSON.stringify(v);
  return String(v);
}

/** A value typed into a form field, as the form posts it back (for showing a refused form again). */
export function postedValue(field: ProbeField, form: FormData): string | boolean {
  const raw = form.get(fieldName(field.path));
  if (field.input === 'checkbox') return raw === 'on';
  return typeof raw === 'string' ? raw : '';
}

function set(out: Record<string, unknown>, path: string, value: unknown) {
  const keys = path.split('.');
  let o = out;
  for (const key of keys.slice(0, -1)) {
    if (typeof o[key] !== 'object' || o[key] === null) o[key] = {};
    o = o[key] as Record<string, unknown>;
  }
  o[keys.at(-1)!] = value;
}

const text = (form: FormData, name: string) => {
  const v = form.get(name);
  return typeof v === 'string' ? v.trim() : '';
};

/** The settings every probe has, as its form shows them (interval and timeout in seconds). */
export interface CommonValues {
  name: string;
  componentId: string;
  intervalS: string;
  timeoutS: string;
  retries: string;
  allowPrivate: boolean;
}

export const probeCommon = (p: ProbeView): CommonValues => ({
  name: p.name,
  componentId: p.componentId ?? '',
  intervalS: String(p.intervalMs / 1000),
  timeoutS: String(p.timeoutMs / 1000),
  retries: String(p.retries),
  allowPrivate: p.allowPrivate,
});

/** What was typed, to show a refused form again. */
export const postedCommon = (form: FormData): CommonValues => ({
  name: text(form, 'name').slice(0, 100),
  componentId: text(form, 'componentId').slice(0, 64),
  intervalS: text(form, 'intervalS').slice(0, 20),
  timeoutS: text(form, 'timeoutS').slice(0, 20),
  retries: text(form, 'retries').slice(0, 5),
  allowPrivate: form.get('allowPrivate') === 'on',
});

/** `Name: value` a line, as a map. */
function readMap(raw: string, label: string): { map: Record<string, string> } | { error: string } {
  const map: Record<string, string> = {};
  for (const line of raw.split(/\r?\n/).map((l) => l.trim())) {
    if (!line) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) return { error: `${fieldLabel(label)}: write one “Name: value” a line.` };
    map[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return { map };
}

/**
 * The kind's config from its form: empty fields are left out (the API's defaults apply), numbers read as
 * numbers (NaN when not one, for the schema to refuse), lists a line each, headers `Name: value` a line.
 */
export function readConfig(
  kind: ProbeKindForm,
  form: FormData,
): { config: Record<string, unknown> } | { error: string } {
  const config: Record<string, unknown> = {};
  for (const f of kind.fields) {
    const name = fieldName(f.path);
    if (f.input === 'checkbox') {
      if (form.get(name) === 'on') set(config, f.path, true);
      continue;
    }
    const raw = text(form, name);
    if (raw === '') continue;
    if (f.input === 'number' || f.input === 'integer') set(config, f.path, Number(raw));
    else if (f.input === 'lines')
      set(
        config,
        f.path,
        raw
          .split(/\r?\n/)
          .map((l) => l.trim())
          .filter(Boolean),
      );
    else if (f.input === 'map') {
      const map = readMap(raw, f.path);
      if ('error' in map) return map;
      set(config, f.path, map.map);
    } else if (f.input === 'json') {
      let v: unknown = raw;
      try {
        const parsed: unknown = JSON.parse(raw);
        if (parsed === null || typeof parsed === 'number' || typeof parsed === 'boolean') v = parsed;
      } catch {}
      set(config, f.path, v);
    } else set(config, f.path, raw);
  }
  return { config };
}

/** Seconds typed into a field, as ms; undefined when empty, NaN when not a number (the schema refuses it). */
export function secondsField(form: FormData, name: string): number | undefined {
  const raw = text(form, name);
  if (raw === '') return undefined;
  const n = Number(raw);
  return Number.isFinite(n) ? Math.round(n * 1000) : Number.NaN;
}

/**
 * The body of `POST /v1/probes` (`editing` false) or `PATCH /v1/probes/{id}` from a probe's form. Secrets are
 * sent only when typed: on a change, an empty one keeps the stored secret.
 */
export function readProbeForm(
  kind: ProbeKindForm,
  form: FormData,
  editing: boolean,
): { body: Record<string, unknown> } | { error: string } {
  const read = readConfig(kind, form);
  if ('error' in read) return read;
  const body: Record<string, unknown> = { name: text(form, 'name').slice(0, 200), config: read.config };
  if (!editing) body.kind = kind.kind;
  const component = text(form, 'componentId');
  if (component) body.componentId = component;
  else if (editing) body.componentId = null;
  for (const s of kind.secrets) {
    const v = text(form, secretName(s.name));
    if (!v) continue;
    if (s.input === 'map') {
      const map = readMap(v, s.name);
      if ('error' in map) return map;
      body[s.name] = map.map;
    } else body[s.name] = v;
  }
  for (const setting of kind.settings) {
    if (setting === 'allowPrivate') {
      if (editing || form.get('allowPrivate') === 'on') body.allowPrivate = form.get('allowPrivate') === 'on';
    } else if (setting === 'retries') {
      const raw = text(form, 'retries');
      if (raw !== '') body.retries = Number(raw);
    } else {
      const ms = secondsField(form, setting === 'intervalMs' ? 'intervalS' : 'timeoutS');
      if (ms !== undefined) body[setting] = ms;
    }
  }
  return { body };
}

/**
 * What a probe looks at, in a few words: its URL, else its required settings (device ids as the phones'
 * names), else nothing to name (a self-probe).
 */
export function targetOf(
  probe: ProbeView,
  kind: ProbeKindForm | undefined,
  deviceName: Map<string, string>,
): string {
  const c = probe.config;
  for (const key of ['url', 'baseUrl']) if (typeof c[key] === 'string') return c[key] as string;
  const parts = (kind?.fields ?? [])
    .filter((f) => f.required)
    .map((f) => {
      const v = at(c, f.path);
      if (v === undefined || v === null) return '';
      return isDeviceField(f) ? (deviceName.get(String(v)) ?? String(v)) : String(v);
    })
    .filter(Boolean);
  return parts.length ? parts.join(' → ') : probe.kind === 'self' ? 'this server' : '–';
}

/** Median and last latency of some runs (ms), ignoring runs without one. */
export function latencySummary(points: { latencyMs: number | null }[]): {
  median: number | null;
  last: number | null;
} {
  const values = points.map((p) => p.latencyMs).filter((v): v is number => v !== null);
  if (values.length === 0) return { median: null, last: null };
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : Math.round((sorted[mid - 1]! + sorted[mid]!) / 2);
  return { median, last: values.at(-1)! };
}

/** Runs as a latency chart's data: times (UTC) and ms. */
export const latencySeries = (runs: { checkedAt: number; latencyMs: number | null }[]) => ({
  labels: runs.map((r) => hourMinute(r.checkedAt)),
  values: runs.map((r) => r.latencyMs),
});

/** A duration in seconds or minutes for the settings (`60 s`, `15 min`). */
export function seconds(ms: number): string {
  return ms % 60_000 === 0 && ms >= 60_000 ? `${ms / 60_000} min` : `${ms / 1000} s`;
}
