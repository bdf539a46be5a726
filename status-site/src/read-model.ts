/**
 * What the status site reads, declared here and implemented by the monitor (`monitor/src/site/read-model.ts`),
 * which owns the reliability math. The site never imports the monitor: the Node server passes an
 * implementation to every request as `Astro.locals.site` (see `SiteLocals`). Plain data only: times are
 * milliseconds since the epoch, ratios are in [0, 1], and null means "no data" (never "0 %").
 */

/** Statuspage's component statuses. */
export type ComponentStatus =
  | 'operational'
  | 'degraded_performance'
  | 'partial_outage'
  | 'major_outage'
  | 'under_maintenance';

/** Statuspage's page indicator, plus `maintenance` when the worst thing going on is maintenance. */
export type PageIndicator = 'none' | 'minor' | 'major' | 'critical' | 'maintenance';

export type ComponentLayer = 'platform' | 'devices' | 'carrier' | 'upstream';

export type IncidentStatus = 'investigating' | 'identified' | 'monitoring' | 'resolved' | 'postmortem';
export type IncidentImpact = 'none' | 'minor' | 'major' | 'critical';
/** What an API key may do: everything, only send messages (and read them back), or only read. */
export type ApiKeyScope = 'admin' | 'send' | 'read';
export type MaintenanceStatus = 'scheduled' | 'in_progress' | 'verifying' | 'completed';

export interface PublicWorkspace {
  id: string;
  slug: string;
  name: string;
  /** Shown under the page's title. */
  about: string | null;
  /** The business's site and where to report a problem (https, or mailto: for support). */
  websiteUrl: string | null;
  supportUrl: string | null;
  /** Shown at `/` (others at `/s/<slug>`). */
  isDefault: boolean;
}

export interface UptimeWindows {
  '24h': number | null;
  '7d': number | null;
  '30d': number | null;
  '90d': number | null;
}

export interface IncidentRef {
  id: string;
  name: string;
  impact: IncidentImpact;
}

/** One cell of a 90-day bar: a UTC day. */
export interface DayBar {
  /** Start of the day (UTC). */
  start: number;
  /** Uptime (or delivery rate, for a carrier) that day; null without data. */
  ratio: number | null;
  /** Incidents open at some time that day that name this component. */
  incidents: IncidentRef[];
  /** Whether a maintenance window touching this component overlapped that day. */
  maintenance: boolean;
}

export interface ComponentSummary {
  id: string;
  name: string;
  description: string | null;
  layer: ComponentLayer;
  status: ComponentStatus;
  position: number;
  createdAt: number;
  updatedAt: number;
  /** What the figures measure: device connectivity uptime, a carrier's delivery rate, or nothing yet. */
  metric: 'uptime' | 'delivery_rate' | null;
  uptime: UptimeWindows;
  /** 90 days, oldest first, the last one being today. */
  days: DayBar[];
}

export interface SeriesPoint {
  start: number;
  ratio: number | null;
  /** Terminal messages in the bucket. */
  total: number;
}

export interface CarrierSeries {
  carrier: string;
  /** Terminal messages over the whole series (the chart shows the busiest carriers). */
  total: number;
  points: SeriesPoint[];
}

export interface SloSummary {
  name: string;
  /** False when the workspace defined none and this is the default (97 % delivery over 30 days). */
  defined: boolean;
  target: number;
  windowDays: number;
  good: number;
  total: number;
  attainment: number | null;
  errorBudget: { total: number; consumed: number; remaining: number; remainingRatio: number | null };
  /** Share of the error budget left at the end of each day of the window (a burn-down), oldest first. */
  budgetByDay: { start: number; remainingRatio: number | null }[];
}

export interface IncidentUpdateView {
  id: string;
  status: IncidentStatus;
  body: string;
  createdAt: number;
}

export interface IncidentView {
  id: string;
  name: string;
  status: IncidentStatus;
  impact: IncidentImpact;
  componentIds: string[];
  startedAt: number;
  createdAt: number;
  updatedAt: number;
  monitoringAt: number | null;
  resolvedAt: number | null;
  /** Newest first. */
  updates: IncidentUpdateView[];
}

export interface MaintenanceView {
  id: string;
  name: string;
  description: string | null;
  status: MaintenanceStatus;
  scheduledFor: number;
  scheduledUntil: number;
  /** Null: the whole workspace. */
  componentIds: string[] | null;
  createdAt: number;
  cancelledAt: number | null;
}

export interface PageSummary {
  workspace: PublicWorkspace;
  generatedAt: number;
  /** Latest change among components, incidents and maintenance (Statuspage's page.updated_at). */
  updatedAt: number;
  indicator: PageIndicator;
  description: string;
  components: ComponentSummary[];
  delivery: {
    /** Daily delivery rate over the last 30 days, per carrier, busiest first. */
    carriers: CarrierSeries[];
    /** The whole workspace, same buckets. */
    overall: SeriesPoint[];
  };
  slo: SloSummary;
  /** Unresolved incidents, oldest first. */
  activeIncidents: IncidentView[];
  maintenance: { active: MaintenanceView[]; upcoming: MaintenanceView[] };
}

export interface IncidentPage {
  incidents: IncidentView[];
  /** Cursor for the next (older) page, if any. */
  next: string | null;
}

/** The public side: everything a status page (and its JSON/feed twins) shows. */
export interface StatusReadModel {
  defaultWorkspace(): Promise<PublicWorkspace | null>;
  workspaceBySlug(slug: string): Promise<PublicWorkspace | null>;
  /**
   * The page's figures. Implementations may serve a copy up to a few seconds old (its `generatedAt` says
   * when it was computed), computing it once for concurrent requests.
   */
  pageSummary(workspaceId: string, now: number): Promise<PageSummary>;
  /** Drops any cached copy of a workspace's summary (after an admin changes what the page shows). */
  invalidate(workspaceId: string): void;
  /** Incident history, newest first. */
  incidents(workspaceId: string, opts: { limit: number; cursor?: string | null }): Promise<IncidentPage>;
  /** Current and upcoming maintenance, and the recent past (for the feeds and `scheduled-maintenances.json`). */
  maintenances(workspaceId: string, now: number): Promise<MaintenanceView[]>;
}

export type Liveness = 'online' | 'suspect' | 'offline';

export interface DeviceRow {
  id: string;
  name: string;
  status: 'active' | 'paused' | 'revoked';
  liveness: Liveness;
  health: { status: string; reasons: string[] };
  lastSeenAt: number | null;
  batteryPercent: number | null;
  charging: boolean | null;
  signalDbm: number | null;
  queueDepth: number | null;
  carrier: string | null;
  appVersion: string | null;
  uptime24h: number | null;
}

export interface DeviceSample {
  at: number;
  batteryPercent: number | null;
  signalDbm: number | null;
  queueDepth: number;
}

export interface DeviceDetail {
  device: DeviceRow & { enrolledAt: number; heartbeatIntervalS: number; lastGapKind: string | null };
  /** Raw heartbeats of the last 24 h (thinned to at most a few hundred points). */
  samples: DeviceSample[];
  /** Daily connectivity uptime over 90 days. */
  uptimeDays: { start: number; ratio: number | null }[];
  uptime: UptimeWindows;
}

export interface SloRow {
  id: string;
  name: string;
  indicator: string;
  scope: string;
  scopeId: string | null;
  target: number;
  windowDays: number;
  attainment: number | null;
  budgetRemainingRatio: number | null;
  severity: 'page' | 'ticket' | null;
}

export type AlertSeverity = 'page' | 'ticket' | 'info';
export type AlertChannel = 'web_push' | 'email' | 'webhook' | 'slack' | 'discord';

export interface AlertRuleRow {
  id: string;
  kind:
    | 'device_offline'
    | 'device_degraded'
    | 'queue_backlog'
    | 'slo_burn'
    | 'carrier_delivery_drop'
    | 'probe_down'
    | 'fleet_offline';
  name: string;
  severity: AlertSeverity;
  forMs: number;
  repeatIntervalMs: number;
  /** The kind's parameters (numbers, or `tiers` for slo_burn). */
  params: Record<string, unknown>;
  enabled: boolean;
  /** Opens and resolves a public incident. */
  public: boolean;
  updatedAt: number;
}

export interface AlertView {
  id: string;
  ruleId: string;
  state: 'pending' | 'firing' | 'resolved';
  severity: AlertSeverity;
  subject: { type: string; id: string | null; name: string };
  summary: string;
  startedAt: number;
  firedAt: number | null;
  resolvedAt: number | null;
  /** Someone is on it: no more reminders. */
  acknowledged: { at: number; by: string } | null;
  /** Oldest first. */
  timeline: { kind: string; at: number; detail: string | null }[];
}

export interface NotificationView {
  id: string;
  alertId: string;
  subscriptionId: string;
  channel: AlertChannel;
  kind: string;
  status: 'pending' | 'delivered' | 'dead' | 'suppressed' | 'dropped';
  reason: string | null;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  lastStatusCode: number | null;
  createdAt: number;
  deliveredAt: number | null;
}

export interface AlertSubscriptionView {
  id: string;
  channel: AlertChannel;
  /** Email address, webhook URL or push endpoint. */
  target: string;
  label: string | null;
  severities: string[];
  ruleIds: string[];
  deviceIds: string[];
  delayMs: number;
  /** Escalation: only alerts nobody acknowledged within the delay. */
  unacknowledgedOnly: boolean;
  enabled: boolean;
  createdAt: number;
}

export interface SilenceView {
  id: string;
  ruleId: string | null;
  deviceId: string | null;
  componentId: string | null;
  comment: string | null;
  startsAt: number;
  endsAt: number;
  createdAt: number;
}

/** A change refused by the API's own validation, with its message. */
export type AdminResult<T> = { ok: true; value: T } | { ok: false; error: string };

/** The alerting admin: the same validation and effects as `/v1/alert-rules`, `/v1/alert-subscriptions`, `/v1/silences`. */
export interface AlertsAdmin {
  rules(workspaceId: string): Promise<AlertRuleRow[]>;
  /** Firing and pending ones first, then the most recent, newest first. */
  alerts(workspaceId: string, limit: number): Promise<AlertView[]>;
  notifications(workspaceId: string, limit: number): Promise<NotificationView[]>;
  subscriptions(workspaceId: string): Promise<AlertSubscriptionView[]>;
  /** Silences in force or scheduled. */
  silences(workspaceId: string, now: number): Promise<SilenceView[]>;
  /** A PATCH of `/v1/alert-rules/{id}` (`params` whole). */
  updateRule(
    workspaceId: string,
    id: string,
    patch: {
      enabled?: boolean;
      severity?: string;
      forMs?: number;
      repeatIntervalMs?: number;
      params?: Record<string, unknown>;
    },
    now: number,
  ): Promise<AdminResult<AlertRuleRow>>;
  /** The body of `POST /v1/alert-subscriptions`, checked as the API checks it; a webhook's secret is returned once. */
  subscribe(
    workspaceId: string,
    body: Record<string, unknown>,
    now: number,
  ): Promise<AdminResult<AlertSubscriptionView & { secret?: string }>>;
  unsubscribe(workspaceId: string, id: string, now: number): Promise<boolean>;
  /** `POST /v1/alert-subscriptions/{id}/test`: a test message now, and what its channel answered. */
  testSubscription(
    workspaceId: string,
    id: string,
    now: number,
  ): Promise<AdminResult<{ delivered: boolean; status: number | null; error: string | null }>>;
  /** The body of `POST /v1/silences`. */
  silence(workspaceId: string, body: Record<string, unknown>, now: number): Promise<AdminResult<SilenceView>>;
  endSilence(workspaceId: string, id: string, now: number): Promise<boolean>;
  /** `POST /v1/alerts/{id}/acknowledge`, by this admin. */
  acknowledge(workspaceId: string, id: string, by: string, now: number): Promise<AdminResult<null>>;
  /** The VAPID public key browsers subscribe with; null where web push is unavailable (no SECRETS_KEY). */
  pushPublicKey(): string | null;
}

export type ProbeStatus = 'up' | 'degraded' | 'down' | 'unknown';

/** A probe as `GET /v1/probes` shows it; its secret (a WhatsApp access token) only as `hasSecret`. */
export interface ProbeView {
  id: string;
  name: string;
  /** `http`, `statuspage`, `feed`, `whatsapp`, `self`, `sms_canary`, or any kind added later. */
  kind: string;
  componentId: string | null;
  config: Record<string, unknown>;
  hasSecret: boolean;
  intervalMs: number;
  timeoutMs: number;
  retries: number;
  allowPrivate: boolean;
  enabled: boolean;
  nextRunAt: number;
  last: {
    status: ProbeStatus;
    checkedAt: number;
    componentStatus: string | null;
    detail: string | null;
  } | null;
  createdAt: number;
  updatedAt: number;
}

export interface ProbeResultView {
  id: number;
  checkedAt: number;
  status: ProbeStatus;
  componentStatus: string | null;
  latencyMs: number | null;
  attempts: number;
  detail: string;
}

/**
 * One setting of a probe kind's `config`, described from the API's schema so that the page can draw a form
 * field for any kind: `path` is where it goes in the config (`expectStatus.min`).
 */
export interface ProbeField {
  path: string;
  /** text; number (integer or not); a checkbox; one of `options`; a list (one a line); a map (`Name: value`
   * a line); or a value read as JSON when it parses (a number, true, null), else as text. */
  input: 'text' | 'number' | 'integer' | 'checkbox' | 'select' | 'lines' | 'map' | 'json';
  required: boolean;
  description: string | null;
  options?: string[];
  min?: number;
  max?: number;
  default?: unknown;
}

/** What a kind takes besides `name` and `componentId`, from `newProbeSchema`. */
export interface ProbeKindForm {
  kind: string;
  fields: ProbeField[];
  /**
   * Write-only settings outside `config` (a WhatsApp access token; an HTTP check's secret headers, a map
   * written `Name: value` a line): never shown back.
   */
  secrets: { name: string; description: string | null; required: boolean; input: 'text' | 'map' }[];
  /** Which of intervalMs, timeoutMs, retries, allowPrivate the kind takes. */
  settings: ('intervalMs' | 'timeoutMs' | 'retries' | 'allowPrivate')[];
  /** What a new probe of this kind gets when a setting is left empty. */
  defaults: { intervalMs: number; timeoutMs: number; retries: number };
}

/** The probes admin: the same validation and code as `/v1/probes`. */
export interface ProbesAdmin {
  kinds(): ProbeKindForm[];
  /** Oldest first, by keyset page (`after` a probe id). */
  list(
    workspaceId: string,
    opts: { after?: string; limit: number },
  ): Promise<{ probes: ProbeView[]; nextAfter: string | null }>;
  get(workspaceId: string, id: string): Promise<ProbeView | null>;
  /** Newest first, by keyset page (`before` a result id). */
  results(
    workspaceId: string,
    id: string,
    opts: { before?: number; limit: number },
  ): Promise<{ results: ProbeResultView[]; nextBefore: number | null }>;
  /** Latency of each probe's runs since `since`, oldest first (for the list's small charts). */
  recentLatency(
    workspaceId: string,
    ids: string[],
    since: number,
  ): Promise<Map<string, { checkedAt: number; latencyMs: number | null; status: ProbeStatus }[]>>;
  /** The body of `POST /v1/probes`. */
  create(workspaceId: string, body: Record<string, unknown>): Promise<AdminResult<ProbeView>>;
  /** The body of `PATCH /v1/probes/{id}` (`config` whole). */
  update(workspaceId: string, id: string, patch: Record<string, unknown>): Promise<AdminResult<ProbeView>>;
  remove(workspaceId: string, id: string): Promise<boolean>;
}

/**
 * The signed-in side: what needs the monitor's rules (liveness, health, SLO math, the secrets' formats,
 * its auth cache). Everything is scoped to the signed-in admin's workspace.
 */
export interface AdminModel {
  devices(workspaceId: string, now: number): Promise<DeviceRow[]>;
  device(workspaceId: string, deviceId: string, now: number): Promise<DeviceDetail | null>;
  slos(workspaceId: string, now: number): Promise<SloRow[]>;
  createSlo(
    workspaceId: string,
    input: { name: string; indicator: 'delivery' | 'device_uptime'; target: number; windowDays: 7 | 28 | 30 },
    now: number,
  ): Promise<void>;
  deleteSlo(workspaceId: string, id: string): Promise<boolean>;
  apiKeys(workspaceId: string): Promise<
    {
      id: string;
      name: string;
      scope: ApiKeyScope;
      prefix: string;
      createdAt: number;
      revokedAt: number | null;
    }[]
  >;
  /** Returns the secret once. */
  createApiKey(
    workspaceId: string,
    name: string,
    now: number,
    scope?: ApiKeyScope,
  ): Promise<{ id: string; key: string }>;
  revokeApiKey(workspaceId: string, id: string, now: number): Promise<boolean>;
  enrollmentCodes(workspaceId: string): Promise<
    {
      id: string;
      deviceName: string | null;
      createdAt: number;
      expiresAt: number;
      usedAt: number | null;
      usedByDeviceId: string | null;
      revokedAt: number | null;
    }[]
  >;
  /** Returns the code once. */
  createEnrollmentCode(
    workspaceId: string,
    input: { deviceName: string | null; ttlHours: number },
    now: number,
  ): Promise<{ id: string; code: string; expiresAt: number }>;
  revokeEnrollmentCode(workspaceId: string, id: string, now: number): Promise<boolean>;
  alerts: AlertsAdmin;
  probes: ProbesAdmin;
  /** `POST /v1/messages/{id}/cancel`: only a queued message; the error says why not. */
  cancelMessage(workspaceId: string, id: string, now: number): Promise<AdminResult<null>>;
  /** `GET /v1/reliability/report.csv` for a UTC month (`YYYY-MM`; null: the last whole month). */
  reliabilityReport(
    workspaceId: string,
    month: string | null,
    now: number,
  ): Promise<AdminResult<{ month: string; csv: string }>>;
  /** The audit log, newest first: the same as `GET /v1/audit-log`. */
  auditLog(
    workspaceId: string,
    page: { limit: number; before?: string },
  ): Promise<{ events: AuditEventRow[]; nextCursor: string | null }>;
  /** The signed-in admin's two-factor sign-in (TOTP with recovery codes). */
  twoFactor: TwoFactorModel;
  /** The installation's scheduled backups, for the default workspace's admins. */
  backups: BackupsAdmin;
  /** The workspace's name, slug and heartbeat interval: the same rules as `/v1/workspace`. */
  workspace: {
    get(workspaceId: string): Promise<WorkspaceSettings>;
    /** The body of `PATCH /v1/workspace`, checked as the API checks it. */
    update(workspaceId: string, body: unknown): Promise<AdminResult<WorkspaceSettings>>;
  };
}

export interface BackupsAdmin {
  /** Null unless backups are scheduled (`BACKUP_DIR`) and this is the default workspace (the installation's owner). */
  status(workspaceId: string): Promise<{
    dir: string;
    intervalH: number;
    keep: number;
    lastSuccessAt: number | null;
    lastFailureAt: number | null;
    running: boolean;
    /** Newest first. */
    backups: { name: string; at: number }[];
  } | null>;
  /** "Back up now": waits for it; the error says why not. */
  runNow(workspaceId: string, now: number): Promise<AdminResult<{ name: string; bytes: number }>>;
}

export interface TwoFactorModel {
  /** False without a secrets key to seal authenticator secrets with. */
  available: boolean;
  status(userId: string): Promise<{ enabled: boolean; enabledAt: number | null; recoveryCodesLeft: number }>;
  /** Starts set-up (or resumes one under way): the secret for the authenticator app and its `otpauth://` URI. */
  begin(userId: string): Promise<AdminResult<{ secret: string; uri: string }>>;
  /** Finishes set-up with a code from the app; returns the recovery codes, once. */
  confirm(userId: string, code: string, now: number): Promise<AdminResult<{ recoveryCodes: string[] }>>;
  /** The second step of signing in: a code from the app or a recovery code, each usable once. */
  verify(userId: string, code: string, now: number): Promise<'ok' | 'invalid' | 'rate_limited'>;
  /** Turns it off, with a current code. */
  disable(userId: string, code: string, now: number): Promise<AdminResult<null>>;
}

export interface AuditEventRow {
  id: string;
  at: number;
  actor: { kind: 'api_key' | 'admin_user'; id: string; label: string };
  action: string;
  target: string | null;
  fields: string[];
  /** Null: recorded before the change, outcome unknown. */
  status: number | null;
}

export interface WorkspaceSettings {
  name: string;
  slug: string;
  about: string | null;
  websiteUrl: string | null;
  supportUrl: string | null;
  /** A host name of the business's own that serves the page too. */
  customDomain: string | null;
  heartbeatIntervalS: number;
  statusPageUrl: string;
}

/** What the Node server hands Astro with every request (`Astro.locals.site`). */
/** Visitors subscribing from the page: the same rules as `POST /api/subscriptions`. */
export interface PublicSubscriptionsModel {
  /** `pending`: stored, a confirmation email queued (or already sent); `invalid`: not an address; `busy`: too many new subscriptions this hour. */
  subscribeEmail(
    workspaceId: string,
    email: string,
    now: number,
  ): Promise<'pending' | 'invalid' | 'unavailable' | 'busy'>;
  /** A Slack or Discord channel's webhook URL (https, a public address), posted each update; no confirmation. */
  subscribeChat(
    workspaceId: string,
    channel: 'slack' | 'discord',
    url: string,
    now: number,
  ): Promise<'subscribed' | 'invalid' | 'unavailable' | 'busy'>;
  /** The VAPID public key visitors' browsers subscribe with; null where web push is unavailable. */
  pushPublicKey(): string | null;
  /**
   * An admin subscribing someone: the body of `POST /v1/subscriptions`, checked as the API checks it (an
   * email address still has to confirm; a webhook's secret is returned once).
   */
  addByAdmin(workspaceId: string, body: unknown, now: number): Promise<AdminResult<{ secret?: string }>>;
}

export interface SiteContext {
  readModel: StatusReadModel;
  admin: AdminModel;
  subscriptions: PublicSubscriptionsModel;
  /** The database, for what the site owns itself: admin users, sessions, incidents, maintenance. */
  db: import('@lifeline/db').Db;
  /** The server's clock (tests drive it). */
  now(): number;
  /** Base URL for absolute links (feeds, API); empty to use the request's origin. */
  publicUrl: string;
}

export interface SiteLocals {
  site: SiteContext;
}
