/**
 * A workspace's state as Prometheus gauges, computed at scrape time from what the API serves: its phones
 * (liveness, last seen, battery, signal, queue), the messages waiting in each in-flight state, the layers'
 * figures over the last hour and day, each component's status, and open alerts. Per-phone figures come
 * from the device rows alone (one query however many phones); a phone's uptime over any window is
 * Prometheus' own `avg_over_time` of its liveness.
 */
import { countInFlightMessages, type Db, listDevices, openAlerts } from '@lifeline/db';
import { componentStatuses, livenessStates } from '@lifeline/db/schema';
import type { HeartbeatBody } from '../contract/heartbeat.ts';
import { livenessAt } from '../domain/liveness.ts';
import { componentStates } from '../reliability/components.ts';
import { layerFiguresForRanges } from '../reliability/figures.ts';
import type { MetricFamily, Sample } from './exposition.ts';

const HOUR = 3_600_000;
const WINDOWS = [
  { label: '1h', ms: HOUR },
  { label: '24h', ms: 24 * HOUR },
] as const;

export async function workspaceMetrics(db: Db, workspaceId: string, now: number): Promise<MetricFamily[]> {
  const rows = (await listDevices(db, workspaceId, { limit: 1_000_000 })).filter(
    (d) => d.status !== 'revoked',
  );
  const views = rows.map((d) => ({ ...d, liveness: livenessAt(d, now) }));
  const [inFlight, figures, components, alerts] = await Promise.all([
    countInFlightMessages(db, workspaceId),
    layerFiguresForRanges(
      db,
      workspaceId,
      WINDOWS.map((w) => ({ from: now - w.ms, to: now })),
      now,
    ),
    componentStates(db, workspaceId, now),
    openAlerts(db, workspaceId),
  ]);

  const perDevice = (pick: (d: (typeof views)[number], health: HeartbeatBody | null) => number | null) =>
    views.flatMap((d): Sample[] => {
      const value = pick(d, (d.lastHealth as HeartbeatBody | null) ?? null);
      return value === null || value === undefined ? [] : [{ labels: { device_id: d.id }, value }];
    });
  const signals = (h: HeartbeatBody | null) =>
    (h?.sims ?? []).map((s) => s.signalDbm).filter((s): s is number => typeof s === 'number');
  const windowed = (pick: (f: (typeof figures)[number]) => number | null) =>
    figures.flatMap((f, i): Sample[] => {
      const value = pick(f);
      return value === null ? [] : [{ labels: { window: WINDOWS[i]!.label }, value }];
    });

  return [
    {
      name: 'lifeline_device_info',
      help: 'A phone of the workspace (not revoked), with its name, status and agent version; always 1.',
      samples: views.map((d) => ({
        labels: { device_id: d.id, device_name: d.name, status: d.status, app_version: d.appVersion ?? '' },
        value: 1,
      })),
    },
    {
      name: 'lifeline_device_liveness',
      help: 'The liveness state of each phone: 1 for its current state, 0 for the others.',
      samples: views.flatMap((d) =>
        livenessStates.map((state) => ({
          labels: { device_id: d.id, state },
          value: d.liveness === state ? 1 : 0,
        })),
      ),
    },
    {
      name: 'lifeline_device_last_seen_timestamp_seconds',
      help: "When the server received the phone's last heartbeat (Unix time).",
      samples: perDevice((d) => (d.lastHeartbeatAt === null ? null : d.lastHeartbeatAt / 1000)),
    },
    {
      name: 'lifeline_device_battery_percent',
      help: 'Battery level in the last heartbeat.',
      samples: perDevice((_, h) => h?.battery?.percent ?? null),
    },
    {
      name: 'lifeline_device_charging',
      help: 'Whether the phone was charging at its last heartbeat (1) or not (0).',
      samples: perDevice((_, h) => (h?.battery ? (h.battery.charging ? 1 : 0) : null)),
    },
    {
      name: 'lifeline_device_signal_dbm',
      help: 'Best signal strength among the SIMs in the last heartbeat, in dBm.',
      samples: perDevice((_, h) => (signals(h).length > 0 ? Math.max(...signals(h)) : null)),
    },
    {
      name: 'lifeline_device_queue_depth',
      help: "Messages waiting in the phone's own queue at its last heartbeat.",
      samples: perDevice((_, h) => h?.queue.depth ?? null),
    },
    {
      name: 'lifeline_messages_in_flight',
      help: 'Customer messages waiting in each state before their outcome is known.',
      samples: Object.entries(inFlight).map(([status, value]) => ({ labels: { status }, value })),
    },
    {
      name: 'lifeline_platform_uptime_ratio',
      help: "Layer 1: share of minutes in which Lifeline's self-probes succeeded and ingest 5xx stayed under 1 %.",
      samples: windowed((f) => f.platform.uptime),
    },
    {
      name: 'lifeline_device_connectivity_uptime_ratio',
      help: 'Layer 2: online time / observed time, weighted by device time across the workspace.',
      samples: windowed((f) => f.devices.uptime),
    },
    {
      name: 'lifeline_delivery_rate',
      help: 'Layer 3: delivered / messages with a known delivery outcome.',
      samples: windowed((f) => f.delivery.deliveryRate),
    },
    {
      name: 'lifeline_end_to_end_rate',
      help: 'Delivered / all accepted messages with a known outcome.',
      samples: windowed((f) => f.endToEnd),
    },
    {
      name: 'lifeline_component_status',
      help: 'Each status page component: 1 for its current status, 0 for the others.',
      samples: components.flatMap((c) =>
        componentStatuses.map((status) => ({
          labels: { component_id: c.component.id, component: c.component.name, status },
          value: c.status === status ? 1 : 0,
        })),
      ),
    },
    {
      name: 'lifeline_alerts_open',
      help: 'Alerts pending or firing now.',
      samples: (['pending', 'firing'] as const).map((state) => ({
        labels: { state },
        value: alerts.filter((a) => a.state === state).length,
      })),
    },
  ];
}

/** The installation's scheduled backups (`BACKUP_DIR`): alert when the last success is older than a day or so. */
export function backupMetrics(backups: {
  lastSuccessAt: number | null;
  lastFailureAt: number | null;
  schedule: { intervalMs: number };
}): MetricFamily[] {
  const at = (ms: number | null): Sample[] => (ms === null ? [] : [{ labels: {}, value: ms / 1000 }]);
  return [
    {
      name: 'lifeline_backup_last_success_timestamp_seconds',
      help: 'When the newest backup in BACKUP_DIR was taken (absent: none yet).',
      samples: at(backups.lastSuccessAt),
    },
    {
      name: 'lifeline_backup_last_failure_timestamp_seconds',
      help: 'When a scheduled backup last failed since the server started (absent: none).',
      samples: at(backups.lastFailureAt),
    },
    {
      name: 'lifeline_backup_interval_seconds',
      help: 'How often backups are scheduled (BACKUP_INTERVAL_H).',
      samples: [{ labels: {}, value: backups.schedule.intervalMs / 1000 }],
    },
  ];
}
