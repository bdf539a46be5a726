// The alerts package's public face: rule logic, the engine that applies evaluations and delivers the
// outbox, and the channels.
export * from './channels/chat.ts';
export * from './channels/email.ts';
export * from './channels/result.ts';
export * from './channels/web-push.ts';
export * from './channels/webhook.ts';
export * from './domain/announcements.ts';
export * from './domain/grouping.ts';
export * from './domain/lifecycle.ts';
export * from './domain/retry.ts';
export * from './domain/rules.ts';
export * from './domain/subscriptions.ts';
export * from './domain/suppression.ts';
export * from './domain/threshold.ts';
export * from './engine/announce.ts';
export * from './engine/apply.ts';
export * from './engine/dispatch.ts';
