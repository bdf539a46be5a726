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
