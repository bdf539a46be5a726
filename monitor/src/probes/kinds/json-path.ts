/**
 * A small JSON path: `$.a.b[0].c`, `a.b.0.c` or `a["key with dots"]`. Enough to assert one value of a
 * health endpoint; no wildcards or filters.
 */
export function parseJsonPath(path: string): (string | number)[] | null {
  let s = path.trim();
  if (s.startsWith('$')) s = s.slice(1);
  const out: (string | number)[] = [];
  const re = /^(?:\.?([A-Za-z_$][\w$-]*)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]|\.(\d+))/;
  while (s.length > 0) {
    const m = re.exec(s);
    if (!m) return null;
    if (m[1] !== undefined) out.push(m[1]);
    else if (m[2] !== undefined) out.push(Number(m[2]));
    else if (m[3] !== undefined) out.push(m[3].replace(/\\(.)/g, '$1'));
    else if (m[4] !== undefined) out.push(Number(m[4]));
    s = s.slice(m[0].length);
  }
  return out;
}

export function readJsonPath(doc: unknown, path: string): { found: boolean; value?: unknown } {
  const steps = parseJsonPath(path);
  if (!steps) return { found: false };
  let cur: unknown = doc;
  for (const step of steps) {
    if (cur === null || typeof cur !== 'object') return { found: false };
    if (typeof step === 'number') {
      if (!Array.isArray(cur) || step >= cur.length) return { found: false };
      cur = cur[step];
    } else {
      if (!Object.hasOwn(cur, step)) return { found: false };
      cur = (cur as Record<string, unknown>)[step];
    }
  }
  return { found: true, value: cur };
}
