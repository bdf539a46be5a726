import { describe, expect, it } from 'vitest';
import { type ChatMessage, clip, discordPayload, escapeSlack, redactChatUrl, slackPayload } from './chat.ts';

const at = new Date(Date.UTC(2026, 10, 24, 9, 30));
const firing = (subject: string, i = 0) => ({
  severity: 'page',
  state: 'firing',
  kind: 'fire',
  subject,
  summary: `Device offline: no heartbeat for 2 min 30 s (${i})`,
});
const message = (over: Partial<ChatMessage> = {}): ChatMessage => ({
  title: 'Device offline: 2 firing',
  lines: ['Till 1', 'Till 2'],
  alerts: [firing('Till 1'), firing('Till 2', 1)],
  link: 'https://status.example.com/admin/alerts',
  at,
  ...over,
});

type Block = { type: string; text?: { type: string; text: string }; elements?: { text: string }[] };

describe('Slack payload', () => {
  it('has a notification text, a header, the lines, each alert and a link', () => {
    const p = slackPayload(message()) as { text: string; blocks: Block[] };
    expect(p.text).toBe('🚨 Device offline: 2 firing');
    expect(p.blocks.map((b) => b.type)).toEqual(['header', 'section', 'section', 'context']);
    expect(p.blocks[0]!.text).toEqual({ type: 'plain_text', text: '🚨 Device offline: 2 firing' });
    expect(p.blocks[2]!.text!.text).toContain('• *Till 1*: Device offline');
    expect(p.blocks[3]!.elements![0]!.text).toBe(
      '<https://status.example.com/admin/alerts|Open alerts in Lifeline> · 2026-11-24T09:30:00.000Z',
    );
  });

  it('never lets a device name mention the channel or inject a link', () => {
    const p = slackPayload(
      message({
        title: 'Device offline: <!channel>',
        lines: ['<!channel> & <https://evil.example|click>'],
        alerts: [firing('<!here>')],
      }),
    ) as { text: string; blocks: Block[] };
    // The header is plain_text (never parsed); everything else is mrkdwn, escaped.
    expect(p.blocks[0]!.text!.type).toBe('plain_text');
    expect(p.text).toBe('🚨 Device offline: &lt;!channel&gt;');
    const json = JSON.stringify({ text: p.text, blocks: p.blocks.slice(1) });
    expect(json).not.toContain('<!channel>');
    expect(json).not.toContain('<!here>');
    expect(json).toContain('&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;');
    expect(escapeSlack('a<b>&c')).toBe('a&lt;b&gt;&amp;c');
  });

  it('keeps within Slack’s limits however many alerts a group holds', () => {
    const many = Array.from({ length: 500 }, (_, i) => firing(`Phone ${i} ${'x'.repeat(80)}`, i));
    const p = slackPayload(message({ title: 'T'.repeat(400), lines: ['y'.repeat(5_000)], alerts: many })) as {
      text: string;
      blocks: Block[];
    };
    expect(p.blocks.length).toBeLessThanOrEqual(50);
    expect(p.blocks[0]!.text!.text.length).toBe(150);
    for (const b of p.blocks.filter((b) => b.type === 'section'))
      expect(b.text!.text.length).toBeLessThanOrEqual(3_000);
    expect(p.blocks[2]!.text!.text).toContain('…');
  });

  it('says a recovery is one', () => {
    const p = slackPayload(
      message({
        title: 'Resolved: Till 1',
        alerts: [{ ...firing('Till 1'), state: 'resolved', kind: 'resolve' }],
      }),
    ) as {
      text: string;
    };
    expect(p.text).toBe('✅ Resolved: Till 1');
  });
});

describe('Discord payload', () => {
  it('is one embed, red while firing and green on recovery, mentioning nobody', () => {
    const p = discordPayload(message()) as {
      username: string;
      allowed_mentions: unknown;
      embeds: Record<string, unknown>[];
    };
    expect(p.username).toBe('Lifeline');
    expect(p.allowed_mentions).toEqual({ parse: [] });
    expect(p.embeds).toHaveLength(1);
    expect(p.embeds[0]).toMatchObject({
      title: 'Device offline: 2 firing',
      url: 'https://status.example.com/admin/alerts',
      color: 0xc62828,
      timestamp: '2026-11-24T09:30:00.000Z',
    });
    expect(p.embeds[0]!.description).toContain('• **Till 1**: Device offline');
    const ok = discordPayload(message({ alerts: [{ ...firing('Till 1'), state: 'resolved' }] })) as {
      embeds: { color: number }[];
    };
    expect(ok.embeds[0]!.color).toBe(0x2e7d32);
  });

  it('keeps within Discord’s limits: title 256, description 4,096, 6,000 in all', () => {
    const many = Array.from({ length: 500 }, (_, i) => firing(`Phone ${i} ${'x'.repeat(80)}`, i));
    const p = discordPayload(
      message({ title: 'T'.repeat(400), lines: ['y'.repeat(9_000)], alerts: many }),
    ) as {
      embeds: { title: string; description: string }[];
    };
    const e = p.embeds[0]!;
    expect(e.title.length).toBe(256);
    expect(e.description.length).toBeLessThanOrEqual(4_096);
    expect(e.title.length + e.description.length).toBeLessThanOrEqual(6_000);
  });
});

describe('helpers', () => {
  it('clip cuts with an ellipsis and leaves short text alone', () => {
    expect(clip('abcdef', 4)).toBe('abc…');
    expect(clip('abc', 4)).toBe('abc');
  });

  it('a redacted URL keeps the origin and the last four characters of the path', () => {
    expect(redactChatUrl('https://hooks.slack.com/services/T000/B000/XXXXabcd')).toBe(
      'https://hooks.slack.com/…abcd',
    );
    expect(redactChatUrl('https://discord.com/api/webhooks/123/tok_wxyz/')).toBe('https://discord.com/…wxyz');
  });
});
