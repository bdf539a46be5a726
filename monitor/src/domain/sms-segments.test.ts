import { describe, expect, it } from 'vitest';
import { smsSegments } from './sms-segments.ts';

describe('smsSegments', () => {
  it.each([
    ['empty', '', 'gsm7', 1],
    ['160 GSM characters fit one SMS', 'a'.repeat(160), 'gsm7', 1],
    ['161 need two parts of 153', 'a'.repeat(161), 'gsm7', 2],
    ['306 fill two parts', 'a'.repeat(306), 'gsm7', 2],
    ['307 need three', 'a'.repeat(307), 'gsm7', 3],
    ['GSM accents stay 7-bit', 'Café à Zürich: ÄÖÑÜ§¿', 'gsm7', 1],
    ['80 euro signs are 160 septets', '€'.repeat(80), 'gsm7', 1],
    ['81 euro signs need two parts', '€'.repeat(81), 'gsm7', 2],
    ['70 UCS-2 characters fit one SMS', 'ж'.repeat(70), 'ucs2', 1],
    ['71 need two parts of 67', 'ж'.repeat(71), 'ucs2', 2],
    ['one emoji makes the message UCS-2', `${'a'.repeat(60)}🙂`, 'ucs2', 1],
    ['ç (lower case) is not in GSM 03.38', 'ç', 'ucs2', 1],
  ])('%s', (_name, text, encoding, segments) => {
    expect(smsSegments(text)).toMatchObject({ encoding, segments });
  });

  it('never splits an escape pair across parts', () => {
    // 152 plain septets then a euro sign: the pair cannot straddle the 153-septet boundary.
    expect(smsSegments(`${'a'.repeat(152)}€${'a'.repeat(10)}`)).toMatchObject({ units: 164, segments: 2 });
    expect(smsSegments(`${'a'.repeat(152)}€${'a'.repeat(152)}`)).toMatchObject({ units: 306, segments: 3 });
  });

  it('never splits a surrogate pair across parts', () => {
    // 66 code units then an emoji (2 units) would straddle the 67-unit boundary.
    expect(smsSegments(`${'ж'.repeat(66)}🙂${'ж'.repeat(66)}`)).toMatchObject({ units: 134, segments: 3 });
  });
});
