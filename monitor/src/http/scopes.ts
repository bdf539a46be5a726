/**
 * What each API key scope may call, by method and path (pure: tested directly). `admin` may call every
 * admin endpoint; `send` only sends messages and reads them back; `read` only reads.
 */
import type { ApiKeyScope } from '@lifeline/db/schema';

const MESSAGES = /^\/v1\/messages(?:\/batch|\/[^/]+(?:\/cancel)?)?$/;

/** Sending and reading messages: the data plane a `send` key is for. */
export function isMessagesPath(path: string): boolean {
  return MESSAGES.test(path);
}

export function scopeAllows(scope: ApiKeyScope, method: string, path: string): boolean {
  const reading = method === 'GET' || method === 'HEAD';
  switch (scope) {
    case 'admin':
      return true;
    case 'read':
      return reading;
    case 'send':
      return MESSAGES.test(path) && (reading || method === 'POST');
  }
}

export const SCOPE_DESCRIPTIONS: Record<ApiKeyScope, string> = {
  admin: 'everything',
  send: 'sending, cancelling and reading messages (POST and GET /v1/messages…)',
  read: 'reading only (GET)',
};

/** The narrowest scopes that allow a request, for the refusal's message. */
export function scopesAllowing(method: string, path: string): ApiKeyScope[] {
  return (['read', 'send', 'admin'] as const).filter((scope) => scopeAllows(scope, method, path));
}
