import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import {
  countProbes,
  deleteProbe,
  findDevicesByIds,
  findProbe,
  insertProbe,
  listComponents,
  listProbeResults,
  listProbes,
  newId,
  type ProbePatch,
  updateProbe,
} from '@lifeline/db';
import type { Probe, ProbeKind, ProbeResult } from '@lifeline/db/schema';
import { errorSchema } from '../contract/errors.ts';
import {
  newProbeSchema,
  probeConfigSchemas,
  probeIdParam,
  probePatchSchema,
  probeResultSchema,
  probeResultsQuery,
  probeSchema,
  probeTimingSchemas,
} from '../contract/probes.ts';
import type { Deps } from '../deps.ts';
import { requireAdmin } from '../http/auth.ts';
import type { AppEnv } from '../http/env.ts';
import { ApiError, validationError } from '../http/errors.ts';
import { errorResponses, jsonBody, jsonContent } from '../http/openapi.ts';
import { checkTarget } from '../probes/fetch-common.ts';
import type { SmsCanaryConfig } from '../probes/kinds/sms-canary.ts';
import { probeSecretContext } from '../probes/scheduler.ts';

const tags = ['Probes'];
const security = [{ apiKey: [] }];
export const MAX_PROBES_PER_WORKSPACE = 2_000;
const DEFAULTS = { intervalMs: 60_000, timeoutMs: 10_000, retries: 1 };
/** An SMS canary is a real SMS every interval: one every 15 minutes, 5 minutes to arrive. */
const CANARY_DEFAULTS = { intervalMs: 15 * 60_000, timeoutMs: 5 * 60_000, retries: 0 };

/** What a new probe of `kind` gets for the settings it is not given. */
export function probeDefaults(kind: string): typeof DEFAULTS {
  return kind === 'sms_canary' ? CANARY_DEFAULTS : DEFAULTS;
}

export function toProbeView(p: Probe) {
  return {
    id: p.id,
    name: p.name,
    kind: p.kind,
    componentId: p.componentId,
    config: p.config,
    hasSecret: p.secretCiphertext !== null,
    intervalMs: p.intervalMs,
    timeoutMs: p.timeoutMs,
    retries: p.retries,
    allowPrivate: p.allowPrivate,
    enabled: p.enabled,
    nextRunAt: p.nextRunAt,
    last:
      p.lastStatus && p.lastCheckedAt !== null
        ? {
            status: p.lastStatus,
            checkedAt: p.lastCheckedAt,
            componentStatus: p.lastComponentStatus,
            detail: p.lastDetail,
          }
        : null,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
  };
}

export const resultView = (r: ProbeResult) => ({
  id: r.id,
  checkedAt: r.checkedAt,
  status: r.status,
  componentStatus: r.componentStatus,
  latencyMs: r.latencyMs,
  attempts: r.attempts,
  detail: r.detail,
  data: r.data,
});

const notFound = () => new ApiError(404, 'not_found', 'No such probe in this workspace.');

function checkConfig(kind: ProbeKind, config: unknown): Record<string, unknown> {
  const result = probeConfigSchemas[kind].safeParse(config);
  if (!result.success) {
    const err = validationError(result.error, 'body');
    throw new ApiError(400, err.code, err.message, `config${err.field ? `.${err.field}` : ''}`);
  }
  return result.data as Record<string, unknown>;
}

/** Refuses at once a target that the SSRF guard would refuse on every run (an IP literal or a local name). */
function checkReachable(config: Record<string, unknown>, allowPrivate: boolean) {
  for (const key of ['url', 'baseUrl'] as const) {
    const url = config[key];
    if (typeof url !== 'string') continue;
    const target = checkTarget(url, allowPrivate);
    if (!target.ok)
      throw new ApiError(
        400,
        'private_target',
        `${target.failure.message}: probes may not reach private, loopback or link-local addresses unless allowPrivate is true.`,
        `config.${key}`,
      );
  }
}

/** Both phones of a canary must be enrolled in this workspace (not revoked). */
async function checkCanaryDevices(deps: Deps, workspaceId: string, config: SmsCanaryConfig) {
  const found = await findDevicesByIds(deps.db, [config.fromDeviceId, config.toDeviceId]);
  for (const field of ['fromDeviceId', 'toDeviceId'] as const) {
    const d = found.find((x) => x.id === config[field] && x.workspaceId === workspaceId);
    if (!d || d.status === 'revoked')
      throw new ApiError(
        400,
        'device_not_found',
        `No enrolled device '${config[field]}' in this workspace.`,
        `config.${field}`,
      );
  }
}

async function checkComponent(deps: Deps, workspaceId: string, componentId: string | null | undefined) {
  if (!componentId) return;
  const list = await listComponents(deps.db, workspaceId);
  if (!list.some((c) => c.id === componentId))
    throw new ApiError(400, 'unknown_component', 'No such component in this workspace.', 'componentId');
}

function checkTiming(kind: ProbeKind, p: { intervalMs: number; timeoutMs: number }) {
  const limits = probeTimingSchemas[kind === 'sms_canary' ? 'sms_canary' : 'fetch'].safeParse(p);
  if (!limits.success) {
    const err = validationError(limits.error, 'body');
    throw new ApiError(400, err.code, err.message, err.field);
  }
  if (p.timeoutMs > p.intervalMs)
    throw new ApiError(400, 'invalid_field', "Invalid 'timeoutMs': must not exceed intervalMs.", 'timeoutMs');
}

function sealer(deps: Deps) {
  if (!deps.secretBox)
    throw new ApiError(
      503,
      'secrets_key_missing',
      'Probes with an access token need SECRETS_KEY.',
      'accessToken',
    );
  return deps.secretBox;
}

/**
 * Adds a probe: the kind's defaults, the target and component checks, the access token sealed. Shared by
 * `POST /v1/probes` and the admin page (`site/probes-admin.ts`), which validate with `newProbeSchema` first.
 */
export async function addProbe(deps: Deps, workspaceId: string, body: z.output<typeof newProbeSchema>) {
  const defaults = probeDefaults(body.kind);
  const intervalMs = body.intervalMs ?? defaults.intervalMs;
  const timeoutMs = body.timeoutMs ?? Math.min(defaults.timeoutMs, intervalMs);
  checkTiming(body.kind, { intervalMs, timeoutMs });
  const allowPrivate = ('allowPrivate' in body && body.allowPrivate) || false;
  const config = body.config as Record<string, unknown>;
  if (body.kind === 'sms_canary') await checkCanaryDevices(deps, workspaceId, body.config);
  else if (body.kind !== 'self') checkReachable(config, allowPrivate);
  await checkComponent(deps, workspaceId, body.componentId);
  // A self-probe feeds the workspace's Platform component unless told otherwise.
  const componentId =
    body.componentId !== undefined
      ? body.componentId
      : body.kind === 'self'
        ? ((await listComponents(deps.db, workspaceId)).find((x) => x.source === 'platform')?.id ?? null)
        : null;
  if ((await countProbes(deps.db, workspaceId)) >= MAX_PROBES_PER_WORKSPACE)
    throw new ApiError(
      409,
      'too_many_probes',
      `A workspace may have at most ${MAX_PROBES_PER_WORKSPACE} probes.`,
    );
  const now = deps.clock.now();
  const id = newId('prb', now);
  const secret =
    body.kind === 'whatsapp'
      ? body.accessToken
      : body.kind === 'http' && body.secretHeaders && Object.keys(body.secretHeaders).length > 0
        ? JSON.stringify(body.secretHeaders)
        : null;
  const secretCiphertext = secret === null ? null : await sealer(deps).seal(secret, probeSecretContext(id));
  return insertProbe(deps.db, {
    id,
    workspaceId,
    name: body.name,
    kind: body.kind,
    componentId,
    config,
    secretCiphertext,
    intervalMs,
    timeoutMs,
    retries: ('retries' in body ? body.retries : undefined) ?? defaults.retries,
    allowPrivate,
    enabled: body.enabled ?? true,
    nextRunAt: now,
    createdAt: now,
    updatedAt: now,
  });
}

/** Changes a probe (`PATCH /v1/probes/{id}` and the admin page); `body` is checked by `probePatchSchema`. */
export async function changeProbe(
  deps: Deps,
  workspaceId: string,
  id: string,
  body: z.output<typeof probePatchSchema>,
) {
  const current = await findProbe(deps.db, workspaceId, id);
  if (!current) throw notFound();
  if (body.accessToken !== undefined && current.kind !== 'whatsapp')
    throw new ApiError(400, 'unknown_field', 'Only WhatsApp probes take an access token.', 'accessToken');
  if (body.secretHeaders !== undefined && current.kind !== 'http')
    throw new ApiError(400, 'unknown_field', 'Only HTTP checks take secret headers.', 'secretHeaders');
  if (current.kind === 'sms_canary')
    for (const field of ['retries', 'allowPrivate'] as const)
      if (body[field] !== undefined)
        throw new ApiError(400, 'unknown_field', `An SMS canary takes no '${field}'.`, field);
  const config = body.config !== undefined ? checkConfig(current.kind, body.config) : current.config;
  const allowPrivate = body.allowPrivate ?? current.allowPrivate;
  if (current.kind === 'sms_canary') {
    if (body.config !== undefined)
      await checkCanaryDevices(deps, workspaceId, config as unknown as SmsCanaryConfig);
  } else if (current.kind !== 'self') checkReachable(config, allowPrivate);
  const intervalMs = body.intervalMs ?? current.intervalMs;
  const timeoutMs = body.timeoutMs ?? current.timeoutMs;
  checkTiming(current.kind, { intervalMs, timeoutMs });
  if (body.componentId !== undefined) await checkComponent(deps, workspaceId, body.componentId);
  const now = deps.clock.now();
  const patch: ProbePatch = {
    ...(body.name !== undefined ? { name: body.name } : {}),
    ...(body.componentId !== undefined ? { componentId: body.componentId } : {}),
    ...(body.config !== undefined ? { config } : {}),
    ...(body.retries !== undefined ? { retries: body.retries } : {}),
    ...(body.enabled !== undefined ? { enabled: body.enabled } : {}),
    allowPrivate,
    intervalMs,
    timeoutMs,
    updatedAt: now,
  };
  if (body.accessToken !== undefined)
    patch.secretCiphertext = await sealer(deps).seal(body.accessToken, probeSecretContext(current.id));
  if (body.secretHeaders !== undefined)
    patch.secretCiphertext =
      Object.keys(body.secretHeaders).length === 0
        ? null
        : await sealer(deps).seal(JSON.stringify(body.secretHeaders), probeSecretContext(current.id));
  // A changed target or a resumed probe runs on the next tick.
  if (body.config !== undefined || body.enabled === true) patch.nextRunAt = now;
  const row = await updateProbe(deps.db, workspaceId, current.id, patch);
  if (!row) throw notFound();
  return row;
}

export const probeRoutes = new OpenAPIHono<AppEnv>()
  .openapi(
    createRoute({
      method: 'get',
      path: '/v1/probes',
      tags,
      security,
      middleware: [requireAdmin] as const,
      summary: "The workspace's probes, each with its last result",
      request: {
        query: z.object({
          after: z.string().max(64).optional().meta({ description: 'Probe id: the next page.' }),
          limit: z.coerce.number().int().min(1).max(1_000).default(200),
        }),
      },
      responses: {
        200: jsonContent(
          z.object({ probes: z.array(probeSchema), nextAfter: z.string().nullable() }),
          'Probes',
        ),
        ...errorResponses(400, 401),
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const rows = await listProbes(c.var.deps.db, c.var.admin.workspaceId, q);
      return c.json(
        { probes: rows.map(toProbeView), nextAfter: rows.length === q.limit ? rows.at(-1)!.id : null },
        200,
      );
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/v1/probes',
      tags,
      security,
      middleware: [requireAdmin] as const,
      summary:
        'Add a probe: HTTP check, Statuspage v2 feed, RSS/Atom feed, WhatsApp health, self-probe or SMS canary',
      request: { body: jsonBody(newProbeSchema) },
      responses: {
        201: jsonContent(probeSchema, 'The probe (it runs on the next tick)'),
        ...errorResponses(400, 401, 409, 413, 415),
        503: jsonContent(errorSchema, 'No SECRETS_KEY to seal an access token with'),
      },
    }),
    async (c) => {
      const row = await addProbe(c.var.deps, c.var.admin.workspaceId, c.req.valid('json'));
      return c.json(toProbeView(row), 201);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/v1/probes/{id}',
      tags,
      security,
      middleware: [requireAdmin] as const,
      summary: 'One probe with its last result',
      request: { params: probeIdParam },
      responses: { 200: jsonContent(probeSchema, 'The probe'), ...errorResponses(401, 404) },
    }),
    async (c) => {
      const row = await findProbe(c.var.deps.db, c.var.admin.workspaceId, c.req.valid('param').id);
      if (!row) throw notFound();
      return c.json(toProbeView(row), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'patch',
      path: '/v1/probes/{id}',
      tags,
      security,
      middleware: [requireAdmin] as const,
      summary: 'Change, pause or re-target a probe (its config is given whole)',
      request: { params: probeIdParam, body: jsonBody(probePatchSchema) },
      responses: {
        200: jsonContent(probeSchema, 'The probe'),
        ...errorResponses(400, 401, 404, 413, 415),
        503: jsonContent(errorSchema, 'No SECRETS_KEY to seal an access token with'),
      },
    }),
    async (c) => {
      const row = await changeProbe(
        c.var.deps,
        c.var.admin.workspaceId,
        c.req.valid('param').id,
        c.req.valid('json'),
      );
      return c.json(toProbeView(row), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/v1/probes/{id}',
      tags,
      security,
      middleware: [requireAdmin] as const,
      summary: 'Delete a probe and its results',
      request: { params: probeIdParam },
      responses: {
        200: jsonContent(z.object({ deleted: z.literal(true) }), 'Deleted'),
        ...errorResponses(401, 404),
      },
    }),
    async (c) => {
      const ok = await deleteProbe(c.var.deps.db, c.var.admin.workspaceId, c.req.valid('param').id);
      if (!ok) throw notFound();
      return c.json({ deleted: true as const }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/v1/probes/{id}/results',
      tags,
      security,
      middleware: [requireAdmin] as const,
      summary: "A probe's results, newest first (kept for the retention period)",
      request: { params: probeIdParam, query: probeResultsQuery },
      responses: {
        200: jsonContent(
          z.object({ results: z.array(probeResultSchema), nextBefore: z.number().int().nullable() }),
          'Results',
        ),
        ...errorResponses(400, 401, 404),
      },
    }),
    async (c) => {
      const { db } = c.var.deps;
      const { workspaceId } = c.var.admin;
      const probe = await findProbe(db, workspaceId, c.req.valid('param').id);
      if (!probe) throw notFound();
      const q = c.req.valid('query');
      const rows = await listProbeResults(db, workspaceId, probe.id, q);
      return c.json(
        { results: rows.map(resultView), nextBefore: rows.length === q.limit ? rows.at(-1)!.id : null },
        200,
      );
    },
  );
