/**
 * The monitor's implementation of the status site's read model (`status-site/src/read-model.ts`): the
 * public page's figures from the reliability functions, and the admin pages' views that need the
 * monitor's rules. Runtime-agnostic (Web APIs only), so the JSON/feed twins use it on Workers too.
 */
import {
  type Db,
  defaultWorkspace,
  deleteSlo,
  deliverySeriesMany,
  deviceHeartbeatSamples,
  findDevice,
  findWorkspace,
  findWorkspaceBySlug,
  insertSlo,
  listApiKeys,
  listDevices,
  listEnrollmentCodes,
  listIncidents,
  listSlos,
  maintenancesEndingAfter,
  maintenancesOverlapping,
  platformDays,
  revokeApiKey,
  revokeEnrollmentCode,
  scopeKeys,
  unresolvedIncidents,
} from '@lifeline/db';
import type { Maintenance, Slo, Workspace } from '@lifeline/db/schema';
import { incidentView } from '../../../status-site/src/lib/views.ts';
import type {
  AdminModel,
  CarrierSeries,
  ComponentSummary,
  DayBar,
  DeviceRow,
  IncidentView,
  MaintenanceView,
  PageIndicator,
  PageSummary,
  PublicWorkspace,
  SeriesPoint,
  SloSummary,
  StatusReadModel,
  UptimeWindows,
} from '../../../status-site/src/read-model.ts';
import type { DeviceView } from '../contract/devices.ts';
import type { HeartbeatBody } from '../contract/heartbeat.ts';
import { workspacePatchSchema } from '../contract/workspace.ts';
import type { Deps } from '../deps.ts';
import { type ComponentStatus, pageIndicator } from '../domain/component-status.ts';
import { attainment, DEFAULT_DELIVERY_TARGET, errorBudget } from '../domain/slo.ts';
import { ApiError } from '../http/errors.ts';
import { cancelMessage } from '../pipeline/cancel.ts';
import { componentStates } from '../reliability/components.ts';
import {
  deliveryCountsByRange,
  deliveryRates,
  deviceUptimes,
  platformUptimes,
  type Range,
} from '../reliability/figures.ts';
import { monthRange, previousMonth, reliabilityReportCsv } from '../reliability/report.ts';
import { reliabilitySeries } from '../reliability/series.ts';
import { sloCounts, sloStatus } from '../reliability/slo-status.ts';
import { createApiKey } from '../routes/api-keys.ts';
import { auditLogPage } from '../routes/audit.ts';
import { deviceViews } from '../services/device-view.ts';
import { createEnrollmentCode } from '../services/enrollment.ts';
import { changeWorkspace, getWorkspace } from '../services/workspace.ts';
import { createAlertsAdmin } from './alerts-admin.ts';
import { attempt } from './attempt.ts';
import { createBackupsAdmin } from './backups-admin.ts';
import { createProbesAdmin } from './probes-admin.ts';
import { createTwoFactor } from './two-factor.ts';

const DAY = 86_400_000;
const BAR_DAYS = 90;
const CHART_DAYS = 30;
const WINDOWS = { '24h': DAY, '7d': 7 * DAY, '30d': 30 * DAY, '90d': 90 * DAY } as const;
type WindowName = keyof typeof WINDOWS;
const WINDOW_NAMES = Object.keys(WINDOWS) as WindowName[];

const INDICATOR_RANK: Record<PageIndicator, number> = {
  none: 0,
  maintenance: 1,
  minor: 2,
  major: 3,
  critical: 4,
};
const DESCRIPTIONS: Record<PageIndicator, string> = {
  none: 'All Systems Operational',
  maintenance: 'Service Under Maintenance',
  minor: 'Minor Service Outage',
  major: 'Partial System Outage',
  critical: 'Major Service Outage',
};

function publicWorkspace(w: Workspace, defaultId: string | undefined): PublicWorkspace {
  return {
    id: w.id,
    slug: w.slug,
    name: w.name,
    about: w.about,
    websiteUrl: w.websiteUrl,
    supportUrl: w.supportUrl,
    isDefault: w.id === defaultId,
  };
}

/** The site's own mapping of an incident, shared with the API. */
export { incidentView };

export function maintenanceView(m: Maintenance, now: number): MaintenanceView {
  return {
    id: m.id,
    name: m.title,
    description: m.description,
    status: now < m.startsAt ? 'scheduled' : now < m.endsAt ? 'in_progress' : 'completed',
    scheduledFor: m.startsAt,
    scheduledUntil: m.endsAt,
    componentIds: m.componentIds,
    createdAt: m.createdAt,
    cancelledAt: m.cancelledAt,
  };
}

/** The page's indicator: the worst of the components' statuses and the open incidents' impact. */
export function overallIndicator(
  statuses: ComponentStatus[],
  openImpacts: IncidentView['impact'][],
): PageIndicator {
  let worst = pageIndicator(statuses);
  for (const impact of openImpacts) {
    const i: PageIndicator = impact === 'none' ? 'none' : impact;
    if (INDICATOR_RANK[i] > INDICATOR_RANK[worst]) worst = i;
  }
  return worst;
}

function dayStarts(now: number, days: number): number[] {
  const today = Math.floor(now / DAY) * DAY;
  return Array.from({ length: days }, (_, i) => today - (days - 1 - i) * DAY);
}

const NO_WINDOWS: UptimeWindows = { '24h': null, '7d': null, '30d': null, '90d': null };

function windowsOf(values: (number | null)[]): UptimeWindows {
  return Object.fromEntries(WINDOW_NAMES.map((w, i) => [w, values[i] ?? null])) as unknown as UptimeWindows;
}

async function buildPageSummary(db: Db, workspace: PublicWorkspace, now: number): Promise<PageSummary> {
  const workspaceId = workspace.id;
  const states = await componentStates(db, workspaceId, now);
  const starts = dayStarts(now, BAR_DAYS);
  const barFrom = starts[0]!;
  const ranges: Range[] = WINDOW_NAMES.map((w) => ({ from: now - WINDOWS[w], to: now }));

  // Connectivity (one series and one set of windows for the workspace's phones).
  const hasDevices = states.some((s) => s.component.source === 'devices');
  const [deviceWindows, deviceDays] = hasDevices
    ? await Promise.all([
        deviceUptimes(db, { workspaceId, ranges, now }),
        reliabilitySeries(db, {
          workspaceId,
          layer: 'devices',
          scope: 'workspace',
          from: barFrom,
          to: now,
          bucket: 'day',
          now,
        }),
      ])
    : [[], []];

  // Platform (Layer 1, shared by every workspace): the self-probes' share of good minutes.
  const hasPlatform = states.some((s) => s.component.source === 'platform');
  const [platformWindows, platformDayRows] = hasPlatform
    ? await Promise.all([platformUptimes(db, ranges, now), platformDays(db, barFrom, now + 1)])
    : [[], []];
  const platformByDay = new Map(
    platformDayRows.map((r) => [r.bucketStart, r.probesTotal > 0 ? r.probesOk / r.probesTotal : null]),
  );

  // Delivery: every carrier (components and chart) and the workspace, in one query per kind.
  const carrierNames = new Set<string>();
  for (const s of states)
    if (s.component.source.startsWith('carrier:')) carrierNames.add(s.component.source.slice(8));
  const wsKey = scopeKeys.workspace(workspaceId);
  const carrierKey = (name: string) => scopeKeys.carrier(workspaceId, name);
  const keys = [wsKey, ...[...carrierNames].map(carrierKey)];
  const [windowCounts, dayRows] = await Promise.all([
    deliveryCountsByRange(db, workspaceId, keys, ranges, now),
    deliverySeriesMany(db, keys, 'day', barFrom, now + 1),
  ]);
  const daily = new Map<string, Map<number, SeriesPoint & { good: number }>>();
  for (const r of dayRows) {
    const rates = deliveryRates(r);
    let m = daily.get(r.scopeKey);
    if (!m) {
      m = new Map();
      daily.set(r.scopeKey, m);
    }
    m.set(r.bucketStart, {
      start: r.bucketStart,
      ratio: rates.deliveryRate,
      total: rates.events,
      good: r.delivered,
    });
  }
  const seriesOf = (key: string, from: number) => {
    const byStart = daily.get(key);
    return starts
      .filter((s) => s >= from)
      .map((start) => {
        const p = byStart?.get(start);
        return { start, ratio: p?.ratio ?? null, total: p?.total ?? 0, good: p?.good ?? 0 };
      });
  };

  // Incidents and maintenance over the bars' 90 days.
  const [open, recent, windows] = await Promise.all([
    unresolvedIncidents(db, workspaceId),
    listIncidents(db, workspaceId, { limit: 500, since: barFrom }),
    maintenancesOverlapping(db, workspaceId, barFrom, now + 30 * DAY),
  ]);

  const components: ComponentSummary[] = states.map((s) => {
    const c = s.component;
    let metric: ComponentSummary['metric'] = null;
    let uptime = NO_WINDOWS;
    let ratios: (number | null)[] = starts.map(() => null);
    if (c.source === 'devices') {
      metric = 'uptime';
      uptime = windowsOf(deviceWindows.map((u) => u.uptime));
      const byStart = new Map(deviceDays.map((p) => [p.start, p.ratio]));
      ratios = starts.map((st) => byStart.get(st) ?? null);
    } else if (c.source === 'platform' && platformWindows.some((u) => u.uptime !== null)) {
      // No bar until a self-probe has run: "no data" for 90 days says nothing.
      metric = 'uptime';
      uptime = windowsOf(platformWindows.map((u) => u.uptime));
      ratios = starts.map((st) => platformByDay.get(st) ?? null);
    } else if (c.source.startsWith('carrier:')) {
      metric = 'delivery_rate';
      const key = carrierKey(c.source.slice(8));
      uptime = windowsOf((windowCounts.get(key) ?? []).map((n) => deliveryRates(n).deliveryRate));
      ratios = seriesOf(key, barFrom).map((p) => p.ratio);
    }
    // This component's incidents and maintenance, picked once rather than for each of its 90 days.
    const mine = recent.filter((inc) => inc.componentIds.includes(c.id));
    const refs = mine.map((inc) => ({ id: inc.id, name: inc.name, impact: inc.impact }));
    const itsWindows = windows.filter(
      (m) => (m.componentIds === null || m.componentIds.includes(c.id)) && m.startsAt <= now,
    );
    const days: DayBar[] = starts.map((start, i) => {
      const end = start + DAY;
      const incidents = [];
      for (let k = 0; k < mine.length; k++) {
        const inc = mine[k]!;
        if (inc.startedAt < end && (inc.resolvedAt ?? now) >= start) incidents.push({ ...refs[k]! });
      }
      return {
        start,
        ratio: ratios[i] ?? null,
        incidents,
        maintenance: itsWindows.some((m) => m.startsAt < end && m.endsAt > start),
      };
    });
    const touched = mine.map((inc) => inc.updatedAt);
    return {
      id: c.id,
      name: c.name,
      description: c.description,
      layer: c.layer,
      status: s.status,
      position: c.position,
      createdAt: c.createdAt,
      updatedAt: Math.max(c.createdAt, ...touched),
      metric,
      uptime,
      days,
    };
  });

  const chartFrom = starts[BAR_DAYS - CHART_DAYS]!;
  const carriers: CarrierSeries[] = [...carrierNames]
    .map((carrier) => {
      const points = seriesOf(carrierKey(carrier), chartFrom).map(({ good: _g, ...p }) => p);
      return { carrier, total: points.reduce((a, p) => a + p.total, 0), points };
    })
    .sort((a, b) => b.total - a.total || a.carrier.localeCompare(b.carrier));

  const activeIncidents = open.map(incidentView);
  const maintenanceViews = windows.filter((m) => m.endsAt > now).map((m) => maintenanceView(m, now));
  const indicator = overallIndicator(
    states.map((s) => s.status),
    activeIncidents.map((i) => i.impact),
  );
  const changes = [
    ...components.map((c) => c.updatedAt),
    ...recent.map((i) => i.updatedAt),
    ...windows.map((m) => Math.min(m.createdAt, now)),
  ];
  return {
    workspace,
    generatedAt: now,
    updatedAt: Math.max(0, ...changes),
    indicator,
    description: DESCRIPTIONS[indicator],
    components,
    delivery: {
      carriers,
      overall: seriesOf(wsKey, chartFrom).map(({ good: _g, ...p }) => p),
    },
    slo: await deliverySlo(db, workspaceId, now, seriesOf(wsKey, barFrom)),
    activeIncidents,
    maintenance: {
      active: maintenanceViews.filter((m) => m.status === 'in_progress'),
      upcoming: maintenanceViews.filter((m) => m.status === 'scheduled'),
    },
  };
}

/** The workspace's delivery SLO (its first workspace-wide one, else the default 97 % over 30 days). */
async function deliverySlo(
  db: Db,
  workspaceId: string,
  now: number,
  daily: { start: number; good: number; total: number }[],
): Promise<SloSummary> {
  const defined = (await listSlos(db, workspaceId)).find(
    (s) => s.indicator === 'delivery' && s.scope === 'workspace',
  );
  const slo: Slo = defined ?? {
    id: 'default',
    workspaceId,
    name: 'Delivery',
    indicator: 'delivery',
    scope: 'workspace',
    scopeId: null,
    target: DEFAULT_DELIVERY_TARGET,
    windowDays: 30,
    minEvents: 50,
    createdAt: now,
    updatedAt: now,
  };
  const [counts = { good: 0, total: 0 }] = await sloCounts(
    db,
    slo,
    [{ from: now - slo.windowDays * DAY, to: now }],
    now,
  );
  const budget = errorBudget(counts, slo.target);
  const inWindow = daily.slice(-slo.windowDays);
  const allowedBad = (1 - slo.target) * inWindow.reduce((a, d) => a + d.total, 0);
  let bad = 0;
  const budgetByDay = inWindow.map((d) => {
    bad += d.total - d.good;
    return { start: d.start, remainingRatio: allowedBad > 0 ? (allowedBad - bad) / allowedBad : null };
  });
  return {
    name: slo.name,
    defined: Boolean(defined),
    target: slo.target,
    windowDays: slo.windowDays,
    good: counts.good,
    total: counts.total,
    attainment: attainment(counts),
    errorBudget: budget,
    budgetByDay,
  };
}

function encodeCursor(i: { startedAt: number; id: string }) {
  return `${i.startedAt}.${i.id}`;
}

function decodeCursor(cursor: string | null | undefined) {
  if (!cursor) return undefined;
  const m = /^(\d{1,16})\.([\w-]{1,64})$/.exec(cursor);
  return m ? { startedAt: Number(m[1]), id: m[2]! } : undefined;
}

/** The public read model over a database. */
export function createStatusReadModel(db: Db): StatusReadModel {
  return {
    async defaultWorkspace() {
      const w = await defaultWorkspace(db);
      return w ? publicWorkspace(w, w.id) : null;
    },
    async workspaceBySlug(slug) {
      const w = await findWorkspaceBySlug(db, slug);
      if (!w) return null;
      return publicWorkspace(w, (await defaultWorkspace(db))?.id);
    },
    async pageSummary(workspaceId, now) {
      const w = await defaultWorkspace(db);
      const ws = w?.id === workspaceId ? w : await findWorkspace(db, workspaceId);
      if (!ws) throw new Error(`No workspace ${workspaceId}`);
      return buildPageSummary(db, publicWorkspace(ws, w?.id), now);
    },
    async incidents(workspaceId, opts) {
      const rows = await listIncidents(db, workspaceId, {
        limit: opts.limit + 1,
        before: decodeCursor(opts.cursor),
      });
      const page = rows.slice(0, opts.limit);
      const last = page[page.length - 1];
      return {
        incidents: page.map(incidentView),
        next: rows.length > opts.limit && last ? encodeCursor(last) : null,
      };
    },
    async maintenances(workspaceId, now) {
      const rows = await maintenancesEndingAfter(db, workspaceId, now - 30 * DAY);
      return rows.map((m) => maintenanceView(m, now));
    },
    invalidate() {},
  };
}

/** How long a computed page summary is served before it is computed again. */
export const SUMMARY_TTL_MS = 5_000;

/**
 * The read model with a short-lived summary cache: each workspace's summary is computed at most once per
 * `ttlMs` (by the server's clock) and once for any number of concurrent requests, so a burst of visitors
 * during an outage costs one computation, not one each. Admin changes call `invalidate`.
 */
export function cachedStatusReadModel(inner: StatusReadModel, ttlMs = SUMMARY_TTL_MS): StatusReadModel {
  const cache = new Map<string, { at: number; summary: Promise<PageSummary> }>();
  return {
    ...inner,
    pageSummary(workspaceId, now) {
      const hit = cache.get(workspaceId);
      if (hit && now >= hit.at && now - hit.at < ttlMs) return hit.summary;
      const summary = inner.pageSummary(workspaceId, now);
      const entry = { at: now, summary };
      cache.set(workspaceId, entry);
      summary.catch(() => {
        if (cache.get(workspaceId) === entry) cache.delete(workspaceId);
      });
      return summary;
    },
    invalidate(workspaceId) {
      cache.delete(workspaceId);
    },
  };
}

const models = new WeakMap<Deps, StatusReadModel>();

/** The one cached read model of a server (its pages and its JSON twins share it). */
export function statusReadModelFor(deps: Deps): StatusReadModel {
  let model = models.get(deps);
  if (!model) {
    model = cachedStatusReadModel(createStatusReadModel(deps.db));
    models.set(deps, model);
  }
  return model;
}

function deviceRow(v: DeviceView): DeviceRow {
  const h = v.lastHealth as HeartbeatBody | null;
  const sims = h?.sims ?? [];
  const signals = sims.map((s) => s.signalDbm).filter((x): x is number => typeof x === 'number');
  return {
    id: v.id,
    name: v.name,
    status: v.status,
    liveness: v.liveness,
    health: { status: v.health.status, reasons: v.health.reasons.map((r) => r.message) },
    lastSeenAt: v.lastSeenAt,
    batteryPercent: h?.battery?.percent ?? null,
    charging: h?.battery?.charging ?? null,
    signalDbm: signals.length ? Math.max(...signals) : null,
    queueDepth: h?.queue?.depth ?? null,
    carrier: sims[0]?.carrier ?? null,
    appVersion: v.appVersion,
    uptime24h: v.uptime24h,
  };
}

/** Thins samples to at most `max` points by keeping every n-th one (and the last). */
function thin<T>(rows: T[], max: number): T[] {
  if (rows.length <= max) return rows;
  const step = Math.ceil(rows.length / max);
  const out = rows.filter((_, i) => i % step === 0);
  if (out[out.length - 1] !== rows[rows.length - 1]) out.push(rows[rows.length - 1]!);
  return out;
}

/** The admin model: views that need the monitor's rules, scoped to a workspace. */
export function createAdminModel(deps: Deps): AdminModel {
  const { db } = deps;
  return {
    async devices(workspaceId, now) {
      const rows = await listDevices(db, workspaceId, { limit: 1_000 });
      return (await deviceViews(db, rows, now)).map(deviceRow);
    },
    async device(workspaceId, deviceId, now) {
      const d = await findDevice(db, workspaceId, deviceId);
      if (!d) return null;
      const [view] = await deviceViews(db, [d], now);
      const starts = dayStarts(now, BAR_DAYS);
      const ranges: Range[] = WINDOW_NAMES.map((w) => ({ from: now - WINDOWS[w], to: now }));
      const [samples, days, windows] = await Promise.all([
        deviceHeartbeatSamples(db, deviceId, now - DAY, now + 1, 5_000),
        reliabilitySeries(db, {
          workspaceId,
          layer: 'devices',
          scope: `device:${deviceId}`,
          from: starts[0]!,
          to: now,
          bucket: 'day',
          now,
        }),
        deviceUptimes(db, { workspaceId, deviceId, ranges, now }),
      ]);
      return {
        device: {
          ...deviceRow(view!),
          enrolledAt: d.enrolledAt,
          heartbeatIntervalS: d.heartbeatIntervalMs / 1000,
          lastGapKind: d.lastGapKind,
        },
        samples: thin(samples, 300),
        uptimeDays: days.map((p) => ({ start: p.start, ratio: p.ratio })),
        uptime: windowsOf(windows.map((u) => u.uptime)),
      };
    },
    async slos(workspaceId, now) {
      const out = [];
      for (const slo of await listSlos(db, workspaceId)) {
        const s = await sloStatus(db, slo, now);
        out.push({
          id: slo.id,
          name: slo.name,
          indicator: slo.indicator,
          scope: slo.scope,
          scopeId: slo.scopeId,
          target: slo.target,
          windowDays: slo.windowDays,
          attainment: s.attainment,
          budgetRemainingRatio: s.errorBudget.remainingRatio,
          severity: s.severity,
        });
      }
      return out;
    },
    async createSlo(workspaceId, input, now) {
      await insertSlo(
        db,
        {
          workspaceId,
          name: input.name,
          indicator: input.indicator,
          scope: 'workspace',
          scopeId: null,
          target: input.target,
          windowDays: input.windowDays,
          minEvents: 50,
        },
        now,
      );
    },
    deleteSlo: (workspaceId, id) => deleteSlo(db, workspaceId, id),
    async apiKeys(workspaceId) {
      return (await listApiKeys(db, workspaceId)).map((k) => ({
        id: k.id,
        name: k.name,
        scope: k.scope,
        prefix: k.prefix,
        createdAt: k.createdAt,
        revokedAt: k.revokedAt,
      }));
    },
    async createApiKey(workspaceId, name, now, scope) {
      const { key, row, query } = await createApiKey(db, { workspaceId, name, now, scope });
      await query;
      return { id: row.id, key };
    },
    async revokeApiKey(workspaceId, id, now) {
      const ok = await revokeApiKey(db, workspaceId, id, now);
      if (ok) deps.authCache.clear();
      return ok;
    },
    async enrollmentCodes(workspaceId) {
      return (await listEnrollmentCodes(db, workspaceId)).map((c) => ({
        id: c.id,
        deviceName: c.deviceName,
        createdAt: c.createdAt,
        expiresAt: c.expiresAt,
        usedAt: c.usedAt,
        usedByDeviceId: c.usedByDeviceId,
        revokedAt: c.revokedAt,
      }));
    },
    async createEnrollmentCode(workspaceId, input, now) {
      const code = await createEnrollmentCode(db, {
        workspaceId,
        deviceName: input.deviceName,
        now,
        ttlMs: input.ttlHours * 3_600_000,
      });
      return { id: code.id, code: code.code, expiresAt: code.expiresAt };
    },
    revokeEnrollmentCode: (workspaceId, id, now) => revokeEnrollmentCode(db, workspaceId, id, now),
    alerts: createAlertsAdmin(deps),
    probes: createProbesAdmin(deps),
    async cancelMessage(workspaceId, id, now) {
      try {
        await cancelMessage(db, workspaceId, id, now);
        return { ok: true, value: null };
      } catch (err) {
        if (err instanceof ApiError) return { ok: false, error: err.message };
        throw err;
      }
    },
    async reliabilityReport(workspaceId, month, now) {
      const m = month ?? previousMonth(now);
      if (!/^[0-9]{4}-(0[1-9]|1[0-2])$/.test(m)) return { ok: false, error: 'Choose a month (YYYY-MM).' };
      const range = monthRange(m, now);
      if (range.from >= now) return { ok: false, error: 'That month has not begun.' };
      return { ok: true, value: { month: m, csv: await reliabilityReportCsv(db, workspaceId, range, now) } };
    },
    auditLog: (workspaceId, page) =>
      auditLogPage(db, workspaceId, {
        limit: page.limit,
        ...(page.before && /^aud_[0-9]{1,15}$/.test(page.before) ? { before: page.before } : {}),
      }),
    twoFactor: createTwoFactor(deps),
    backups: createBackupsAdmin(deps),
    workspace: {
      get: (workspaceId) => getWorkspace(deps, workspaceId),
      update: (workspaceId, body) =>
        attempt(workspacePatchSchema, body, async (patch) => {
          const changed = await changeWorkspace(deps, workspaceId, patch);
          statusReadModelFor(deps).invalidate(workspaceId);
          return changed;
        }),
    },
  };
}
