/**
 * Cloudflare D1 allows at most 100 bound parameters per statement (SQLite itself allows 32,766). Multi-row
 * inserts are split to fit the smaller limit, so one set of queries serves every backend; the pieces still
 * run in one batch, so they commit together.
 */
export const MAX_BOUND_PARAMETERS = 100;

export function chunkRows<T extends object>(rows: T[], maxParams = MAX_BOUND_PARAMETERS): T[][] {
  if (rows.length === 0) return [];
  const columns = Math.max(1, Object.keys(rows[0]!).length);
  const perChunk = Math.max(1, Math.floor(maxParams / columns));
  const chunks: T[][] = [];
  for (let i = 0; i < rows.length; i += perChunk) chunks.push(rows.slice(i, i + perChunk));
  return chunks;
}

/** Largest JSON parameter per statement, in UTF-16 units (at most 1.5 MB of UTF-8); D1 allows 2 MB. */
const MAX_JSON_PARAM_CHARS = 500_000;

/** Joins encoded rows into JSON arrays of at most MAX_JSON_PARAM_CHARS (a larger row goes alone). */
export function jsonChunks(encodedRows: string[]): string[] {
  const chunks: string[] = [];
  let current: string[] = [];
  let size = 2;
  for (const row of encodedRows) {
    if (current.length > 0 && size + row.length + 1 > MAX_JSON_PARAM_CHARS) {
      chunks.push(`[${current.join(',')}]`);
      current = [];
      size = 2;
    }
    current.push(row);
    size += row.length + 1;
  }
  if (current.length > 0) chunks.push(`[${current.join(',')}]`);
  return chunks;
}
