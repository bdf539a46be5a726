import { describe, expect, it } from 'vitest';
import { formatMetrics } from './exposition.ts';

describe('Prometheus text exposition', () => {
  it('writes HELP, TYPE and one line per sample, labels escaped', () => {
    const text = formatMetrics([
      {
        name: 'lifeline_device_online',
        help: 'Whether the phone is online.\nSecond line \\ slash',
        samples: [
          { labels: { device_id: 'dev_1', device_name: 'Till "front" \\ 1\nnew' }, value: 1 },
          { labels: { device_id: 'dev_2', device_name: '' }, value: 0 },
        ],
      },
      { name: 'lifeline_delivery_rate', help: 'Rate.', samples: [{ value: 0.975 }, { value: Number.NaN }] },
      { name: 'lifeline_empty', help: 'None yet.', samples: [] },
    ]);
    expect(text).toBe(
      [
        '# HELP lifeline_device_online Whether the phone is online.\\nSecond line \\\\ slash',
        '# TYPE lifeline_device_online gauge',
        'lifeline_device_online{device_id="dev_1",device_name="Till \\"front\\" \\\\ 1\\nnew"} 1',
        'lifeline_device_online{device_id="dev_2",device_name=""} 0',
        '# HELP lifeline_delivery_rate Rate.',
        '# TYPE lifeline_delivery_rate gauge',
        'lifeline_delivery_rate 0.975',
        'lifeline_delivery_rate NaN',
        '# HELP lifeline_empty None yet.',
        '# TYPE lifeline_empty gauge',
        '',
      ].join('\n'),
    );
  });

  it('refuses names and labels Prometheus would reject', () => {
    expect(() => formatMetrics([{ name: 'bad-name', help: '', samples: [] }])).toThrow(/metric name/);
    expect(() =>
      formatMetrics([{ name: 'ok', help: '', samples: [{ labels: { 'bad-label': 'x' }, value: 1 }] }]),
    ).toThrow(/label/);
    expect(() =>
      formatMetrics([{ name: 'ok', help: '', samples: [{ labels: { __reserved: 'x' }, value: 1 }] }]),
    ).toThrow(/label/);
  });
});
