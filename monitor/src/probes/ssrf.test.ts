import { describe, expect, it } from 'vitest';
import { checkTarget } from './fetch-common.ts';
import { isBlockedAddress, parseIPv6 } from './ssrf.ts';

describe('SSRF guard', () => {
  it.each([
    ['127.0.0.1'],
    ['127.255.0.9'],
    ['10.1.2.3'],
    ['172.16.0.1'],
    ['172.31.255.255'],
    ['192.168.1.1'],
    ['169.254.169.254'],
    ['100.64.0.1'],
    ['0.0.0.0'],
    ['224.0.0.1'],
    ['::1'],
    ['::'],
    ['fc00::1'],
    ['fd12:3456:789a::1'],
    ['fe80::1%eth0'],
    ['::ffff:127.0.0.1'],
    ['::ffff:7f00:1'],
    ['::ffff:10.0.0.1'],
    ['::ffff:169.254.169.254'],
    ['64:ff9b::a9fe:a9fe'],
    ['2002:7f00:1::'],
    ['ff02::1'],
    ['not-an-ip'],
  ])('blocks %s', (ip) => expect(isBlockedAddress(ip)).toBe(true));

  it.each([['8.8.8.8'], ['172.32.0.1'], ['192.169.0.1'], ['2606:4700:4700::1111'], ['::ffff:8.8.8.8']])(
    'allows %s',
    (ip) => expect(isBlockedAddress(ip)).toBe(false),
  );

  it('parses IPv6 forms', () => {
    expect(parseIPv6('::ffff:127.0.0.1')).toEqual([0, 0, 0, 0, 0, 0xffff, 0x7f00, 1]);
    expect(parseIPv6('[2001:db8::1]')).toEqual([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1]);
    expect(parseIPv6('1:2:3')).toBeNull();
    expect(parseIPv6('1::2::3')).toBeNull();
  });

  it('refuses literal private targets and local names before connecting, unless allowed', () => {
    expect(checkTarget('http://127.0.0.1:8080/x', false)).toMatchObject({
      ok: false,
      failure: { kind: 'refused_private' },
    });
    expect(checkTarget('http://[::ffff:127.0.0.1]/', false)).toMatchObject({
      ok: false,
      failure: { kind: 'refused_private' },
    });
    expect(checkTarget('http://localhost/', false)).toMatchObject({
      ok: false,
      failure: { kind: 'refused_private' },
    });
    expect(checkTarget('http://metadata.google.internal/', false)).toMatchObject({ ok: false });
    expect(checkTarget('file:///etc/passwd', true)).toMatchObject({
      ok: false,
      failure: { kind: 'invalid_url' },
    });
    expect(checkTarget('http://127.0.0.1:8080/x', true)).toMatchObject({ ok: true });
    expect(checkTarget('https://status.example.com/', false)).toMatchObject({ ok: true });
  });
});
