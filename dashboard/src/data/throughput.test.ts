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

  it('starts from the server history, then counts live', () => {
    const throughput = new Throughput();
    const now = T0 + 60_000;
    const at = (ms: number) => new Date(ms).toISOString();
    throughput.seed(
      [
        { at: at(T0), completed: 20, failed: 10 },
        { at: at(T0 + 10_000), completed: 0, failed: 0 },
      ],
      10,
      now,
    );
    throughput.record('completed', now);
    const series = throughput.series(now);
    const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
    expect(sum(series.completed)).toBeCloseTo(21);
    expect(sum(series.failed)).toBeCloseTo(10);
    expect(series.completed.at(-61)).toBeCloseTo(2);
  });

  it('keeps every completion of the bucket still filling', () => {
    const throughput = new Throughput();
    const now = T0 + 4_000;
    throughput.seed([{ at: new Date(T0).toISOString(), completed: 12, failed: 0 }], 10, now);
    const series = throughput.series(now);
    expect(series.completed.reduce((a, b) => a + b, 0)).toBeCloseTo(12);
    expect(series.completed.at(-1)).toBeCloseTo(12 / 5);
  });

  it('rates over complete seconds only', () => {
    expect(recentRate([0, 0, 10, 10, 99], 2)).toBe(10);
    expect(recentRate([], 10)).toBe(0);
  });
});
