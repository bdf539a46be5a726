import { describe, expect, it } from 'vitest';
import {
  announcementEmailText,
  composeAnnouncement,
  confirmationEmail,
  unsubscribeHeaders,
} from './announcements.ts';

const page = { name: 'Acme SMS', url: 'https://status.acme.example/' };
const T = Date.UTC(2026, 10, 24, 9, 30);
const incident = (status: string, opening: boolean) => ({
  kind: 'incident_update' as const,
  incident: {
    id: 'inc_1',
    name: 'Delays on Vodafone',
    impact: 'major',
    status,
    update: { id: 'inu_1', status, body: 'Messages are **delayed**.', createdAt: T },
    opening,
    components: ['Vodafone UK', 'Platform'],
  },
});
const maintenance = (
  kind:
    | 'maintenance_scheduled'
    | 'maintenance_rescheduled'
    | 'maintenance_started'
    | 'maintenance_completed'
    | 'maintenance_cancelled',
) => ({
  kind,
  maintenance: {
    id: 'mnt_1',
    title: 'Gateway upgrade',
    description: 'New SIMs.',
    startsAt: T,
    endsAt: T + 3_600_000,
    components: [],
  },
});

describe('announcements', () => {
  it('words an incident update by its status, with when, what and which components', () => {
    const a = composeAnnouncement(incident('investigating', true), page);
    expect(a.title).toBe('[Acme SMS] Investigating: Delays on Vodafone');
    expect(a.text).toBe(
      'Investigating — 2026-11-24 09:30 UTC\n\nMessages are **delayed**.\n\nAffected: Vodafone UK, Platform',
    );
    expect(a.eventType).toBe('incident.created');
    expect(composeAnnouncement(incident('identified', false), page).eventType).toBe('incident.updated');
    expect(composeAnnouncement(incident('resolved', false), page)).toMatchObject({
      title: '[Acme SMS] Resolved: Delays on Vodafone',
      eventType: 'incident.resolved',
    });
  });

  it('words each maintenance notice, with its window, and names its event', () => {
    const words = (
      [
        'maintenance_scheduled',
        'maintenance_rescheduled',
        'maintenance_started',
        'maintenance_completed',
        'maintenance_cancelled',
      ] as const
    ).map((k) => {
      const a = composeAnnouncement(maintenance(k), page);
      return [a.eventType, a.title, a.short];
    });
    expect(words).toEqual([
      [
        'maintenance.scheduled',
        '[Acme SMS] Scheduled maintenance: Gateway upgrade',
        'Maintenance is scheduled for 2026-11-24 09:30 UTC – 2026-11-24 10:30 UTC.',
      ],
      [
        'maintenance.rescheduled',
        '[Acme SMS] Maintenance rescheduled: Gateway upgrade',
        'The maintenance is now planned for 2026-11-24 09:30 UTC – 2026-11-24 10:30 UTC.',
      ],
      [
        'maintenance.started',
        '[Acme SMS] Maintenance in progress: Gateway upgrade',
        'Maintenance has started; it is planned to end at 2026-11-24 10:30 UTC.',
      ],
      [
        'maintenance.completed',
        '[Acme SMS] Maintenance completed: Gateway upgrade',
        'The maintenance is over.',
      ],
      [
        'maintenance.cancelled',
        '[Acme SMS] Maintenance cancelled: Gateway upgrade',
        'The maintenance planned for 2026-11-24 09:30 UTC – 2026-11-24 10:30 UTC is cancelled.',
      ],
    ]);
  });

  it('ends every email with the page and a way out, and asks RFC 8058 one-click unsubscribe of the mail client', () => {
    const a = composeAnnouncement(incident('monitoring', false), page);
    const text = announcementEmailText(
      a,
      page,
      'https://status.acme.example/subscriptions/unsubscribe?token=t',
    );
    expect(
      text.endsWith(
        "subscribed to Acme SMS's status updates.\nUnsubscribe: https://status.acme.example/subscriptions/unsubscribe?token=t\n",
      ),
    ).toBe(true);
    expect(text).toContain('Status page: https://status.acme.example/');
    expect(unsubscribeHeaders('https://x.example/u?token=t')).toEqual({
      'List-Unsubscribe': '<https://x.example/u?token=t>',
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    });
    expect(confirmationEmail(page, 'https://x.example/c')).toMatchObject({
      subject: 'Confirm your subscription to Acme SMS status updates',
      text: expect.stringContaining('Confirm: https://x.example/c'),
    });
  });
});
