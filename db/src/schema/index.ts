export * from './api-keys.ts';
export * from './constants.ts';
export * from './devices.ts';
export * from './enrollment-codes.ts';
export * from './heartbeats.ts';
export * from './messages.ts';
export * from './workspaces.ts';
export * from './webhooks.ts';
