/**
 * The admin pages' probes (`ProbesAdmin` in status-site/src/read-model.ts): the API's schemas
 * (`contract/probes.ts`) and the API's own code for changes (`addProbe`, `changeProbe` in `routes/probes.ts`),
 * with refusals returned as messages. The form of each kind is described from `newProbeSchema`, so a kind
 * added to the contract gets its fields on the page without the page knowing it.
 */
import { deleteProbe, findProbe, listProbeResults, listProbes, probeLatencySince } from '@lifeline/db';
import type { ProbeResult } from '@lifeline/db/schema';
import { z } from 'zod';
import type { ProbeField, ProbeKindForm, ProbesAdmin } from '../../../status-site/src/read-model.ts';
import { newProbeSchema, probePatchSchema } from '../contract/probes.ts';
import type { Deps } from '../deps.ts';
import { addProbe, changeProbe, probeDefaults, resultView, toProbeView } from '../routes/probes.ts';
import { attempt } from './attempt.ts';

const SETTINGS = ['intervalMs', 'timeoutMs', 'retries', 'allowPrivate'] as const;
const NOT_SECRET = new Set<string>(['kind', 'config', 'name', 'componentId', 'enabled', ...SETTINGS]);

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  required?: string[];
  enum?: unknown[];
  items?: JsonSchema;
  description?: string;
  default?: unknown;
  minimum?: number;
  maximum?: number;
}

/** A config schema's settings as form fields; an object's settings are flattened (`expectStatus.min`). */
export function fieldsOf(schema: JsonSchema, prefix = '', parentRequired = true): ProbeField[] {
  const out: ProbeField[] = [];
  const defaults = (schema.default ?? {}) as Record<string, unknown>;
  for (const [key, p] of Object.entries(schema.properties ?? {})) {
    const path = prefix + key;
    const required = parentRequired && (schema.required ?? []).includes(key) && p.default === undefined;
    // An object's default gives its settings theirs (`expectStatus` 200–399).
    const fallback = p.default ?? defaults[key];
    const base = {
      path,
      required,
      description: p.description ?? null,
      ...(fallback !== undefined ? { default: fallback } : {}),
    };
    if (p.type === 'object' && p.properties) {
      out.push(...fieldsOf(p, `${path}.`, required));
      continue;
    }
    let input: ProbeField['input'] = 'json';
    if (p.enum) input = 'select';
    else if (p.type === 'object') input = 'map';
    else if (p.type === 'array') input = 'lines';
    else if (p.type === 'boolean') input = 'checkbox';
    else if (p.type === 'integer') input = 'integer';
    else if (p.type === 'number') input = 'number';
    else if (p.type === 'string') input = 'text';
    out.push({
      ...base,
      input,
      ...(p.enum ? { options: p.enum.map(String) } : {}),
      ...(p.minimum !== undefined ? { min: p.minimum } : {}),
      ...(p.maximum !== undefined ? { max: p.maximum } : {}),
    });
  }
  return out;
}

/** Every kind of `newProbeSchema`, with its config's fields, its secrets and the settings it takes. */
export function probeKindForms(): ProbeKindForm[] {
  return newProbeSchema.options.map((option) => {
    const shape = option.shape as Record<string, z.ZodType>;
    const config = z.toJSONSchema(shape.config!, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
    return {
      kind: String((option.shape.kind as z.ZodLiteral<string>).value),
      fields: fieldsOf(config),
      secrets: Object.keys(shape)
        .filter((k) => !NOT_SECRET.has(k))
        .map((name) => ({
          name,
          description: shape[name]!.description ?? null,
          required: !shape[name]!.safeParse(undefined).success,
          input: shape[name]!.safeParse({}).success ? ('map' as const) : ('text' as const),
        })),
      settings: SETTINGS.filter((s) => s in shape),
      defaults: probeDefaults(String((option.shape.kind as z.ZodLiteral<string>).value)),
    };
  });
}

export function createProbesAdmin(deps: Deps): ProbesAdmin {
  const { db } = deps;
  let kinds: ProbeKindForm[] | undefined;
  return {
    kinds: () => {
      kinds ??= probeKindForms();
      return kinds;
    },
    async list(workspaceId, opts) {
      const rows = await listProbes(db, workspaceId, opts);
      return {
        probes: rows.map(toProbeView),
        nextAfter: rows.length === opts.limit ? rows.at(-1)!.id : null,
      };
    },
    async get(workspaceId, id) {
      const row = await findProbe(db, workspaceId, id);
      return row ? toProbeView(row) : null;
    },
    async results(workspaceId, id, opts) {
      const rows = await listProbeResults(db, workspaceId, id, opts);
      return {
        // The page shows no result's `data` (what the probe read), so it stays out.
        results: rows.map((r) => {
          const { data: _data, ...view } = resultView(r);
          return view;
        }),
        nextBefore: rows.length === opts.limit ? rows.at(-1)!.id : null,
      };
    },
    async recentLatency(workspaceId, ids, since) {
      const out = new Map<
        string,
        { checkedAt: number; latencyMs: number | null; status: ProbeResult['status'] }[]
      >();
      for (const r of await probeLatencySince(db, workspaceId, ids, since)) {
        const list = out.get(r.probeId) ?? [];
        list.push({ checkedAt: r.checkedAt, latencyMs: r.latencyMs, status: r.status });
        out.set(r.probeId, list);
      }
      return out;
    },
    create: (workspaceId, body) =>
      attempt(newProbeSchema, body, async (parsed) => toProbeView(await addProbe(deps, workspaceId, parsed))),
    update: (workspaceId, id, patch) =>
      attempt(probePatchSchema, patch, async (parsed) =>
        toProbeView(await changeProbe(deps, workspaceId, id, parsed)),
      ),
    remove: (workspaceId, id) => deleteProbe(db, workspaceId, id),
  };
}
