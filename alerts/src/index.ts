// The alerts package's public face. Pure rule logic today; the outbox, channels and dispatcher join it.
export * from './domain/grouping.ts';
export * from './domain/lifecycle.ts';
export * from './domain/rules.ts';
export * from './domain/subscriptions.ts';
export * from './domain/suppression.ts';
export * from './domain/threshold.ts';
