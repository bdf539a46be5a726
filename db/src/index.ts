export { type CreateDbOptions, createDb, type Database, type Db, DEFAULT_DATABASE_URL } from './client.ts';
export { newId } from './ids.ts';
export * from './queries/api-keys.ts';
export * from './queries/devices.ts';
export * from './queries/enrollment-codes.ts';
export * from './queries/heartbeats.ts';
export * from './queries/message-transitions.ts';
export * from './queries/messages.ts';
export * from './queries/workspaces.ts';
