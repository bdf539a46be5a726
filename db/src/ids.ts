const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/**
 * A prefixed, time-ordered random id (`dev_01jd…`): 10 characters of millisecond time then 16 random
 * characters (80 bits) in Crockford base32, so ids sort by creation time and never collide in practice.
 */
/**
 * The id prefix of the instant `at` (`msg_01jd…`, without the random part): every id made before `at`
 * sorts below it, every id made at or after it above, so id ranges are time ranges.
 */
export function idTimePrefix(prefix: string, at: number): string {
  return newId(prefix, at).slice(0, prefix.length + 11);
}

export function newId(prefix: string, now: number = Date.now()): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let random = '';
  for (const b of bytes) random += ALPHABET[b % 32];
  return `${prefix}_${time}${random}`;
}
