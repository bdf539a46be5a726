/**
 * The Prometheus text exposition format (version 0.0.4), for gauges computed at scrape time: each family
 * has a `# HELP` and a `# TYPE` line, then one line per sample, `name{label="value",…} number`.
 * Pure: tested directly.
 */
export interface Sample {
  labels?: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  name: string;
  help: string;
  samples: Sample[];
}

export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Label values escape backslash, double quote and line feed; HELP text escapes backslash and line feed. */
const labelValue = (v: string) => v.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
const helpText = (v: string) => v.replaceAll('\\', '\\\\').replaceAll('\n', '\\n');

function number(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}

export function formatMetrics(families: MetricFamily[]): string {
  const lines: string[] = [];
  for (const f of families) {
    if (!NAME.test(f.name)) throw new Error(`invalid metric name: ${f.name}`);
    lines.push(`# HELP ${f.name} ${helpText(f.help)}`, `# TYPE ${f.name} gauge`);
    for (const s of f.samples) {
      const labels = Object.entries(s.labels ?? {});
      for (const [k] of labels)
        if (!LABEL.test(k) || k.startsWith('__')) throw new Error(`invalid label: ${k}`);
      const set = labels.length > 0 ? `{${labels.map(([k, v]) => `${k}="${labelValue(v)}"`).join(',')}}` : '';
      lines.push(`${f.name}${set} ${number(s.value)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
