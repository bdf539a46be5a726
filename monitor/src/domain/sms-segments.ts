/**
 * How many SMS a text costs. GSM 03.38 (7-bit) fits 160 septets in one SMS and 153 per part of a
 * concatenated message; characters of the extension table (^{}\[~]|€ and form feed) take two septets and
 * are never split across parts. Any other character makes the message UCS-2: 70 UTF-16 code units in one
 * SMS, 67 per part, never splitting a surrogate pair.
 */

const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENDED = '^{}\\[~]|€\f';
const BASIC = new Set(GSM_BASIC);
const EXTENDED = new Set(GSM_EXTENDED);

export type SmsEncoding = 'gsm7' | 'ucs2';

export interface SegmentInfo {
  encoding: SmsEncoding;
  segments: number;
  /** Septets (GSM-7) or UTF-16 code units (UCS-2). */
  units: number;
}

export function smsSegments(text: string): SegmentInfo {
  const gsm = gsmUnits(text);
  if (gsm !== null) return { encoding: 'gsm7', units: gsm.total, segments: pack(gsm.sizes, 160, 153) };
  const sizes: number[] = [];
  for (const ch of text) sizes.push(ch.length); // a code point is 1 or 2 code units
  return { encoding: 'ucs2', units: text.length, segments: pack(sizes, 70, 67) };
}

function gsmUnits(text: string): { sizes: number[]; total: number } | null {
  const sizes: number[] = [];
  let total = 0;
  for (const ch of text) {
    const size = BASIC.has(ch) ? 1 : EXTENDED.has(ch) ? 2 : 0;
    if (size === 0) return null;
    sizes.push(size);
    total += size;
  }
  return { sizes, total };
}

/** Greedy packing of indivisible characters into parts. */
function pack(sizes: number[], single: number, part: number): number {
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total <= single) return 1;
  let parts = 1;
  let used = 0;
  for (const s of sizes) {
    if (used + s > part) {
      parts++;
      used = 0;
    }
    used += s;
  }
  return parts;
}
