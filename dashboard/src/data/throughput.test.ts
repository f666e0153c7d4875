import { recentRate, Throughput, WINDOW_SECONDS } from './throughput';

const T0 = 1_800_000_000_000;

describe('Throughput', () => {
  it('counts outcomes per second, the last entry being now', () => {
    const throughput = new Throughput();
    throughput.record('completed', T0);
    throughput.record('completed', T0 + 400);
    throughput.record('failed', T0 + 1500);
    const series = throughput.series(T0 + 1999);
    expect(series.completed).toHaveLength(WINDOW_SECONDS);
    expect(series.completed.slice(-2)).toEqual([2, 0]);
    expect(series.failed.slice(-2)).toEqual([0, 1]);
  });

  it('forgets seconds older than 15 minutes, even when their slot is reused', () => {
    const throughput = new Throughput();
    throughput.record('completed', T0);
    expect(throughput.series(T0 + WINDOW_SECONDS * 1000).completed.every((v) => v === 0)).toBe(true);
    throughput.record('failed', T0 + WINDOW_SECONDS * 1000);
    const series = throughput.series(T0 + WINDOW_SECONDS * 1000);
    expect(series.completed.at(-1)).toBe(0);
    expect(series.failed.at(-1)).toBe(1);
  });

  it('rates over complete seconds only', () => {
    expect(recentRate([0, 0, 10, 10, 99], 2)).toBe(10);
    expect(recentRate([], 10)).toBe(0);
  });
});
