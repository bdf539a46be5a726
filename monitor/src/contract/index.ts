/** The public API's schemas: what the gateway agent and other clients may depend on. */

export * from './components.ts';
export * from './devices.ts';
export * from './errors.ts';
export * from './heartbeat.ts';
export * from './inbound.ts';
export * from './messages.ts';
export * from './receipts.ts';
export * from './reliability.ts';
export * from './webhooks.ts';
export * from './workspace.ts';
