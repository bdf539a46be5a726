/**
 * What a status subscriber reads: an incident update or a maintenance notice rendered for email, web push
 * and webhook, and the double opt-in email. Pure: the announcer gathers the facts, this writes the words.
 */

export interface AnnouncedIncident {
  id: string;
  name: string;
  impact: string;
  status: string;
  /** The update being announced. */
  update: { id: string; status: string; body: string; createdAt: number };
  /** Whether this update opened the incident. */
  opening: boolean;
  components: string[];
}

export interface AnnouncedMaintenance {
  id: string;
  title: string;
  description: string | null;
  startsAt: number;
  endsAt: number;
  components: string[];
}

export type AnnouncementFacts =
  | { kind: 'incident_update'; incident: AnnouncedIncident }
  | {
      kind:
        | 'maintenance_scheduled'
        | 'maintenance_rescheduled'
        | 'maintenance_started'
        | 'maintenance_completed'
        | 'maintenance_cancelled';
      maintenance: AnnouncedMaintenance;
    };

export interface PageFacts {
  name: string;
  url: string;
}

export interface Announcement {
  /** Email subject and push title. */
  title: string;
  /** Plain text: the email body's core and the push body (first lines). */
  text: string;
  /** Short form for a push notification. */
  short: string;
  /** Standard Webhooks event type. */
  eventType: string;
  /** Webhook payload data. */
  data: Record<string, unknown>;
}

const STATUS_WORD: Record<string, string> = {
  investigating: 'Investigating',
  identified: 'Identified',
  monitoring: 'Monitoring',
  resolved: 'Resolved',
  postmortem: 'Postmortem',
};

function when(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function affected(components: string[]): string {
  return components.length > 0 ? `Affected: ${components.join(', ')}` : '';
}

export function composeAnnouncement(facts: AnnouncementFacts, page: PageFacts): Announcement {
  if (facts.kind === 'incident_update') {
    const i = facts.incident;
    const word = STATUS_WORD[i.update.status] ?? i.update.status;
    const title = `[${page.name}] ${word}: ${i.name}`;
    const text = [`${word} — ${when(i.update.createdAt)}`, '', i.update.body, '', affected(i.components)]
      .filter((l, n, all) => !(l === '' && all[n - 1] === ''))
      .join('\n')
      .trim();
    return {
      title,
      text,
      short: `${word}: ${i.update.body}`.slice(0, 240),
      eventType: i.opening
        ? 'incident.created'
        : i.update.status === 'resolved'
          ? 'incident.resolved'
          : 'incident.updated',
      data: {
        page,
        incident: {
          id: i.id,
          name: i.name,
          impact: i.impact,
          status: i.status,
          components: i.components,
          update: {
            id: i.update.id,
            status: i.update.status,
            body: i.update.body,
            createdAt: new Date(i.update.createdAt).toISOString(),
          },
        },
      },
    };
  }
  const m = facts.maintenance;
  const window = `${when(m.startsAt)} – ${when(m.endsAt)}`;
  const [word, lead]: [string, string] = (
    {
      maintenance_scheduled: ['Scheduled maintenance', `Maintenance is scheduled for ${window}.`],
      maintenance_rescheduled: ['Maintenance rescheduled', `The maintenance is now planned for ${window}.`],
      maintenance_started: [
        'Maintenance in progress',
        `Maintenance has started; it is planned to end at ${when(m.endsAt)}.`,
      ],
      maintenance_completed: ['Maintenance completed', 'The maintenance is over.'],
      maintenance_cancelled: ['Maintenance cancelled', `The maintenance planned for ${window} is cancelled.`],
    } satisfies Record<typeof facts.kind, [string, string]>
  )[facts.kind];
  return {
    title: `[${page.name}] ${word}: ${m.title}`,
    text: [lead, m.description ?? '', affected(m.components)].filter(Boolean).join('\n\n'),
    short: lead,
    eventType: facts.kind.replace('_', '.'),
    data: {
      page,
      maintenance: {
        id: m.id,
        title: m.title,
        description: m.description,
        startsAt: new Date(m.startsAt).toISOString(),
        endsAt: new Date(m.endsAt).toISOString(),
        components: m.components,
      },
    },
  };
}

/** The email body around an announcement: the page link and how to leave. */
export function announcementEmailText(a: Announcement, page: PageFacts, unsubscribeUrl: string): string {
  return `${a.text}\n\nStatus page: ${page.url}\n\n—\nYou get this because you subscribed to ${page.name}'s status updates.\nUnsubscribe: ${unsubscribeUrl}\n`;
}

/** RFC 8058 one-click unsubscribe, plus RFC 2369's List-Unsubscribe it builds on. */
export function unsubscribeHeaders(unsubscribeUrl: string): Record<string, string> {
  return {
    'List-Unsubscribe': `<${unsubscribeUrl}>`,
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  };
}

/** The double opt-in email. */
export function confirmationEmail(page: PageFacts, confirmUrl: string): { subject: string; text: string } {
  return {
    subject: `Confirm your subscription to ${page.name} status updates`,
    text: `Someone (we hope you) asked to receive ${page.name}'s incident and maintenance updates at this address.\n\nConfirm: ${confirmUrl}\n\nIf it was not you, ignore this email: nothing more will be sent to you.\n`,
  };
}
