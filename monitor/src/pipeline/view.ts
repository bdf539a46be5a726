import type { Message, MessageEvent } from '@lifeline/db/schema';
import type { MessageView } from '../contract/messages.ts';

export function toMessageView(m: Message, events?: MessageEvent[]): MessageView {
  return {
    id: m.id,
    to: m.recipient,
    text: m.body,
    status: m.status,
    sendAt: m.sendAt,
    encoding: m.encoding,
    segments: m.segments,
    deviceId: m.deviceId,
    simSlot: m.simSlot,
    attempt: m.attempt,
    retries: m.retries,
    createdAt: m.createdAt,
    updatedAt: m.updatedAt,
    expiresAt: m.expiresAt,
    submittedAt: m.submittedAt,
    sentAt: m.sentAt,
    completedAt: m.completedAt,
    error: m.errorCode || m.errorMessage ? { code: m.errorCode, message: m.errorMessage } : null,
    metadata: m.metadata ?? null,
    ...(events
      ? {
          events: events.map((e) => ({
            status: e.status,
            attempt: e.attempt,
            at: e.at,
            source: e.source,
            deviceId: e.deviceId,
            applied: e.applied,
            errorCode: e.errorCode,
            detail: e.detail ?? null,
          })),
        }
      : {}),
  };
}

/**
 * What a customer's webhook receives about a message: its state after the change, without the text.
 * Nothing for an SMS canary (a probe's test message): customers' webhooks never hear of it.
 */
export function webhookPayloadOf(m: Message): Record<string, unknown> | undefined {
  if (m.purpose === 'canary') return undefined;
  const { text: _text, ...rest } = toMessageView(m);
  return rest;
}
