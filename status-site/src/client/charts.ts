/**
 * Draws the delivery charts once the page has rendered. chart.js is a separate chunk, imported only when
 * the page has a chart, after the browser is idle; the figures and tables are already in the HTML.
 */
interface ChartData {
  /** The admin device page: heartbeat samples of the last 24 h. */
  device?: { labels: string[]; battery: (number | null)[]; signal: (number | null)[]; queue: number[] };
  /** The admin probe pages: each probe's run latencies (ms), by the holder's `data-key`. */
  latency?: Record<string, { labels: string[]; values: (number | null)[] }>;
  labels: string[];
  carriers: { name: string; ratios: (number | null)[] }[];
  overall: (number | null)[];
  target: number;
  budget: { labels: string[]; remaining: (number | null)[] };
}

const PALETTE = ['#2e7dd7', '#d9730d', '#2e9d55', '#9c4dcc', '#c2185b'];

function css(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

const pct = (r: number | null) => (r === null ? null : Math.round(r * 10_000) / 100);

export async function drawCharts(): Promise<void> {
  const holders = document.querySelectorAll<HTMLElement>('[data-chart]');
  const source = document.getElementById('chart-data');
  if (holders.length === 0 || !source?.textContent) return;
  await new Promise<void>((resolve) =>
    'requestIdleCallback' in window ? requestIdleCallback(() => resolve()) : setTimeout(resolve, 1),
  );
  const data = JSON.parse(source.textContent) as ChartData;
  const {
    Chart,
    LineController,
    LineElement,
    PointElement,
    LinearScale,
    CategoryScale,
    Tooltip,
    Legend,
    Filler,
  } = await import('chart.js');
  Chart.register(
    LineController,
    LineElement,
    PointElement,
    LinearScale,
    CategoryScale,
    Tooltip,
    Legend,
    Filler,
  );
  const fg = css('--fg');
  const grid = css('--line');
  Chart.defaults.color = fg;
  Chart.defaults.borderColor = grid;
  const percentAxis = (min: number) => ({
    min,
    max: 100,
    ticks: { callback: (v: string | number) => `${v} %` },
  });
  for (const holder of holders) {
    const canvas = document.createElement('canvas');
    canvas.setAttribute('aria-hidden', 'true');
    holder.append(canvas);
    if (holder.dataset.chart === 'delivery') {
      const values = data.carriers.flatMap((c) => c.ratios).filter((r): r is number => r !== null);
      const low = Math.max(0, Math.floor(Math.min(data.target, ...values) * 10) * 10 - 5);
      new Chart(canvas, {
        type: 'line',
        data: {
          labels: data.labels,
          datasets: [
            ...data.carriers.map((c, i) => ({
              label: c.name,
              data: c.ratios.map(pct),
              borderColor: PALETTE[i % PALETTE.length],
              backgroundColor: PALETTE[i % PALETTE.length],
              spanGaps: true,
              pointRadius: 2,
            })),
            {
              label: 'Objective',
              data: data.labels.map(() => pct(data.target)),
              borderColor: css('--critical-bar'),
              borderDash: [6, 4],
              pointRadius: 0,
            },
          ],
        },
        options: { maintainAspectRatio: false, animation: false, scales: { y: percentAxis(low) } },
      });
    } else if (holder.dataset.chart === 'device' && data.device) {
      const d = data.device;
      new Chart(canvas, {
        type: 'line',
        data: {
          labels: d.labels,
          datasets: [
            {
              label: 'Battery (%)',
              data: d.battery,
              borderColor: PALETTE[2],
              backgroundColor: PALETTE[2],
              yAxisID: 'y',
              pointRadius: 0,
              spanGaps: true,
            },
            {
              label: 'Queue (messages)',
              data: d.queue,
              borderColor: PALETTE[1],
              backgroundColor: PALETTE[1],
              yAxisID: 'y',
              pointRadius: 0,
            },
            {
              label: 'Signal (dBm)',
              data: d.signal,
              borderColor: PALETTE[0],
              backgroundColor: PALETTE[0],
              yAxisID: 'signal',
              pointRadius: 0,
              spanGaps: true,
            },
          ],
        },
        options: {
          maintainAspectRatio: false,
          animation: false,
          scales: {
            y: { suggestedMin: 0, suggestedMax: 100, position: 'left' },
            signal: {
              suggestedMin: -120,
              suggestedMax: -50,
              position: 'right',
              grid: { drawOnChartArea: false },
            },
          },
        },
      });
    } else if (holder.dataset.chart === 'latency' && data.latency?.[holder.dataset.key ?? '']) {
      const l = data.latency[holder.dataset.key ?? '']!;
      // A small one in the probes list (no axes), a full one on a probe's page.
      const small = holder.classList.contains('spark');
      new Chart(canvas, {
        type: 'line',
        data: {
          labels: l.labels,
          datasets: [
            {
              label: 'Latency (ms)',
              data: l.values,
              borderColor: PALETTE[0],
              backgroundColor: PALETTE[0],
              pointRadius: small ? 0 : 2,
              borderWidth: small ? 1.5 : 2,
              spanGaps: true,
            },
          ],
        },
        options: {
          maintainAspectRatio: false,
          animation: false,
          plugins: { legend: { display: !small } },
          scales: {
            x: { display: !small },
            y: { display: !small, suggestedMin: 0, ticks: { callback: (v: string | number) => `${v} ms` } },
          },
        },
      });
    } else if (holder.dataset.chart === 'budget') {
      new Chart(canvas, {
        type: 'line',
        data: {
          labels: data.budget.labels,
          datasets: [
            {
              label: 'Error budget left',
              data: data.budget.remaining.map(pct),
              borderColor: css('--link'),
              backgroundColor: 'rgba(46,125,215,0.15)',
              fill: 'origin',
              spanGaps: true,
              pointRadius: 0,
            },
          ],
        },
        options: {
          maintainAspectRatio: false,
          animation: false,
          scales: {
            y: { suggestedMin: 0, suggestedMax: 100, ticks: { callback: (v: string | number) => `${v} %` } },
          },
        },
      });
    }
  }
}
