import type { ThroughputSeries } from '../data/throughput';
import { recentRate } from '../data/throughput';

const WIDTH = 900;
const HEIGHT = 120;

/** The smallest of 1, 2, 5 × 10^n at or above `value` (at least 1). */
export function niceCeiling(value: number): number {
  if (value <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 5, 10].find((m) => m * power >= value) ?? 10;
  return step * power;
}

function path(values: number[], max: number, closed: boolean): string {
  const x = (i: number) => (i / Math.max(values.length - 1, 1)) * WIDTH;
  const y = (v: number) => HEIGHT - (v / max) * HEIGHT;
  const line = values.map((v, i) => `${i === 0 ? 'M' : 'L'}${x(i).toFixed(1)},${y(v).toFixed(1)}`).join('');
  return closed ? `${line}L${WIDTH},${HEIGHT}L0,${HEIGHT}Z` : line;
}

function rate(value: number): string {
  return value >= 10 ? value.toFixed(0) : value.toFixed(1);
}

/** Completed and failed tasks per second over the last 15 minutes, as a small SVG area chart. */
export function ThroughputChart({ series, note }: { series: ThroughputSeries; note: string }) {
  const max = niceCeiling(Math.max(...series.completed, ...series.failed));
  const completedRate = recentRate(series.completed);
  const failedRate = recentRate(series.failed);
  const total = (values: number[]) => Math.round(values.reduce((sum, v) => sum + v, 0));
  const summary = `Last 15 minutes: ${total(series.completed)} completed, ${total(series.failed)} failed; now ${rate(completedRate)} completed and ${rate(failedRate)} failed per second.`;
  return (
    <section className="card chart-card" aria-labelledby="throughput-title">
      <header className="card-header">
        <h2 id="throughput-title" className="card-title">
          Throughput
        </h2>
        <div className="chart-legend">
          <span className="legend legend-completed">
            <strong>{rate(completedRate)}</strong>/s completed
          </span>
          <span className="legend legend-failed">
            <strong>{rate(failedRate)}</strong>/s failed
          </span>
        </div>
      </header>
      <div className="chart">
        <div className="chart-axis-y" aria-hidden="true">
          <span>{max}/s</span>
          <span>{max / 2}/s</span>
          <span>0</span>
        </div>
        <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} preserveAspectRatio="none" role="img" aria-label={summary}>
          <line x1="0" x2={WIDTH} y1={HEIGHT / 2} y2={HEIGHT / 2} className="chart-grid" />
          <line x1="0" x2={WIDTH} y1="0.5" y2="0.5" className="chart-grid" />
          <path d={path(series.completed, max, true)} className="chart-area-completed" />
          <path d={path(series.completed, max, false)} className="chart-line-completed" vectorEffect="non-scaling-stroke" />
          <path d={path(series.failed, max, true)} className="chart-area-failed" />
          <path d={path(series.failed, max, false)} className="chart-line-failed" vectorEffect="non-scaling-stroke" />
        </svg>
      </div>
      <div className="chart-axis-x" aria-hidden="true">
        <span>15 min ago</span>
        <span>10 min</span>
        <span>5 min</span>
        <span>now</span>
      </div>
      <p className="chart-note">{note}</p>
    </section>
  );
}
