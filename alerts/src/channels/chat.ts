/**
 * Alerts to chat rooms through their incoming webhooks: Slack (and Slack-compatible ones such as
 * Mattermost and Rocket.Chat) and Discord. The webhook URL is the credential, so callers keep it sealed
 * and pass it in only to send. The payloads keep within each service's documented limits, and names
 * coming from devices or rules cannot mention anyone.
 */
import { type DeliveryResult, resultOfNetworkError, resultOfStatus } from './result.ts';

export type ChatService = 'slack' | 'discord';

/** One message: a grouped alert (from the dispatcher) or a status page announcement. */
export interface ChatMessage {
  title: string;
  lines: string[];
  alerts: { severity: string; state: string; kind?: string; subject: string; summary: string }[];
  /** The admin Alerts page, or the status page. */
  link: string;
  /** What the link says (default: "Open alerts in Lifeline"). */
  linkText?: string;
  /** A second link at the end, e.g. a subscriber's unsubscribe link. */
  footer?: { text: string; url: string };
  /** Red, green or neutral; by default red unless every alert has recovered. */
  tone?: 'problem' | 'ok' | 'info';
  at: Date;
}

/** Slack: section text up to 3,000 characters, a header up to 150, at most 50 blocks. */
const SLACK_SECTION_MAX = 3_000;
const SLACK_HEADER_MAX = 150;
/** Discord: embed title 256, description 4,096, 6,000 characters over a message's embeds. */
const DISCORD_TITLE_MAX = 256;
const DISCORD_DESCRIPTION_MAX = 4_096;
/** Alerts listed one by one in a message; the rest are counted. */
const LISTED_ALERTS = 20;

/** Cuts text to `max` characters (UTF-16 units, as both services count), ending with an ellipsis. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Slack's mrkdwn treats `&`, `<` and `>` as control characters: a device named `<!channel>` stays text. */
export function escapeSlack(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

function toneOf(m: ChatMessage): 'problem' | 'ok' | 'info' {
  if (m.tone) return m.tone;
  return m.alerts.length > 0 && m.alerts.every((a) => a.state === 'resolved' || a.kind === 'resolve')
    ? 'ok'
    : 'problem';
}

const ICON = { problem: '🚨', ok: '✅', info: 'ℹ️' } as const;
const COLOR = { problem: 0xc62828, ok: 0x2e7d32, info: 0x1565c0 } as const;

function alertList(m: ChatMessage, format: (a: ChatMessage['alerts'][number]) => string): string {
  const listed = m.alerts.slice(0, LISTED_ALERTS).map(format);
  const more = m.alerts.length - listed.length;
  return [...listed, ...(more > 0 ? [`…and ${more} more`] : [])].join('\n');
}

export function slackPayload(m: ChatMessage): Record<string, unknown> {
  const icon = ICON[toneOf(m)];
  const lines = m.lines.map(escapeSlack).join('\n');
  const list = alertList(
    m,
    (a) => `• *${escapeSlack(a.subject)}*: ${escapeSlack(a.summary)} (${a.severity})`,
  );
  return {
    // The notification and screen-reader text (mrkdwn, so escaped); the blocks are what the channel shows.
    text: clip(`${icon} ${escapeSlack(m.title)}`, SLACK_HEADER_MAX),
    blocks: [
      // plain_text: shown as written, never parsed for mentions or links.
      { type: 'header', text: { type: 'plain_text', text: clip(`${icon} ${m.title}`, SLACK_HEADER_MAX) } },
      ...(lines ? [{ type: 'section', text: { type: 'mrkdwn', text: clip(lines, SLACK_SECTION_MAX) } }] : []),
      ...(list ? [{ type: 'section', text: { type: 'mrkdwn', text: clip(list, SLACK_SECTION_MAX) } }] : []),
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: [
              `<${m.link}|${escapeSlack(m.linkText ?? 'Open alerts in Lifeline')}>`,
              m.at.toISOString(),
              ...(m.footer ? [`<${m.footer.url}|${escapeSlack(m.footer.text)}>`] : []),
            ].join(' · '),
          },
        ],
      },
    ],
  };
}

export function discordPayload(m: ChatMessage): Record<string, unknown> {
  const footer = m.footer ? `\n\n[${m.footer.text}](${m.footer.url})` : '';
  const description = [
    m.lines.join('\n'),
    alertList(m, (a) => `• **${a.subject}**: ${a.summary} (${a.severity})`),
  ]
    .filter(Boolean)
    .join('\n\n');
  return {
    username: 'Lifeline',
    // Device and rule names are the reporters' text: never let them ping @everyone, roles or users.
    allowed_mentions: { parse: [] },
    embeds: [
      {
        title: clip(m.title, DISCORD_TITLE_MAX),
        url: m.link,
        // The footer link is kept whole: the text before it is what gets cut.
        description: clip(description, DISCORD_DESCRIPTION_MAX - DISCORD_TITLE_MAX - footer.length) + footer,
        color: COLOR[toneOf(m)],
        timestamp: m.at.toISOString(),
      },
    ],
  };
}

/**
 * How each service says a webhook is gone for good (removed, revoked, its channel deleted or archived):
 * the subscription is then removed, as a push subscription answered 410 is.
 */
const GONE: Record<ChatService, number[]> = { slack: [403, 404, 410], discord: [401, 404] };

export async function sendChatWebhook(
  service: ChatService,
  url: string,
  message: ChatMessage,
  timeoutMs = 10_000,
  fetchImpl: typeof fetch = fetch,
): Promise<DeliveryResult> {
  const payload = service === 'slack' ? slackPayload(message) : discordPayload(message);
  try {
    const res = await fetchImpl(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload),
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    const result = resultOfStatus(res.status, await res.text().catch(() => ''));
    if (!result.ok && GONE[service].includes(res.status)) return { ...result, retryable: false, gone: true };
    return result;
  } catch (err) {
    return resultOfNetworkError(err);
  }
}

/**
 * What is shown of a chat webhook URL (its path holds the secret token): the origin and the last four
 * characters, e.g. `https://hooks.slack.com/…/Xy9z`.
 */
export function redactChatUrl(url: string): string {
  const u = new URL(url);
  const path = u.pathname.replace(/\/+$/, '');
  return `${u.origin}/…${path.slice(-4)}`;
}
