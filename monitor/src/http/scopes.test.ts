import { describe, expect, it } from 'vitest';
import { scopeAllows, scopesAllowing } from './scopes.ts';

describe('API key scopes', () => {
  it('lets an admin key do everything', () => {
    for (const [m, p] of [
      ['DELETE', '/v1/devices/dev_1'],
      ['POST', '/v1/api-keys'],
      ['PATCH', '/v1/workspace'],
    ])
      expect(scopeAllows('admin', m!, p!)).toBe(true);
  });

  it('lets a send key send messages and read them back, and nothing else', () => {
    for (const [m, p] of [
      ['POST', '/v1/messages'],
      ['POST', '/v1/messages/batch'],
      ['GET', '/v1/messages'],
      ['GET', '/v1/messages/msg_1'],
      ['HEAD', '/v1/messages/msg_1'],
      ['POST', '/v1/messages/msg_1/cancel'],
    ])
      expect(scopeAllows('send', m!, p!), `${m} ${p}`).toBe(true);
    for (const [m, p] of [
      ['DELETE', '/v1/messages/msg_1'],
      ['PATCH', '/v1/messages/msg_1'],
      ['GET', '/v1/messages/msg_1/events'],
      ['GET', '/v1/messagesX'],
      ['GET', '/v1/devices'],
      ['POST', '/v1/api-keys'],
      ['GET', '/v1/api-keys'],
      ['PATCH', '/v1/workspace'],
    ])
      expect(scopeAllows('send', m!, p!), `${m} ${p}`).toBe(false);
  });

  it('lets a read key only read', () => {
    expect(scopeAllows('read', 'GET', '/v1/devices')).toBe(true);
    expect(scopeAllows('read', 'GET', '/v1/messages/msg_1')).toBe(true);
    expect(scopeAllows('read', 'POST', '/v1/messages/msg_1/cancel')).toBe(false);
    for (const m of ['POST', 'PATCH', 'PUT', 'DELETE'])
      expect(scopeAllows('read', m, '/v1/messages'), m).toBe(false);
  });

  it('names the narrowest scopes that allow a request', () => {
    expect(scopesAllowing('POST', '/v1/messages')).toEqual(['send', 'admin']);
    expect(scopesAllowing('GET', '/v1/devices')).toEqual(['read', 'admin']);
    expect(scopesAllowing('POST', '/v1/devices/dev_1')).toEqual(['admin']);
  });
});
