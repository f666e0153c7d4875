/**
 * Completed and failed tasks per second over the last 15 minutes: seeded from
 * the server's own history when the tab opens, then counted from live events.
 */

/** How many seconds the chart covers. */
export const WINDOW_SECONDS = 900;

/** Per-second counts, oldest first, the last entry being the current second. */
export interface ThroughputSeries {
  completed: number[];
  failed: number[];
  /** The epoch second of the last entry. */
  end: number;
}

/** A ring of one-second buckets. */
export class Throughput {
  private readonly stamps = new Array<number>(WINDOW_SECONDS).fill(-1);
  private readonly completed = new Array<number>(WINDOW_SECONDS).fill(0);
  private readonly failed = new Array<number>(WINDOW_SECONDS).fill(0);
  /** Whether the server's history has been laid in. */
  seeded = false;

  /** Counts one finished task at `atMs`. */
  record(outcome: 'completed' | 'failed', atMs: number): void {
    const second = Math.floor(atMs / 1000);
    const slot = second % WINDOW_SECONDS;
    if (this.stamps[slot] !== second) {
      this.stamps[slot] = second;
      this.completed[slot] = 0;
      this.failed[slot] = 0;
    }
    const counts = outcome === 'completed' ? this.completed : this.failed;
    counts[slot] = (counts[slot] ?? 0) + 1;
  }

  /**
   * Fills the seconds up to `nowMs` from the server's history (`points` of
   * `intervalSecs` each, spread evenly over their seconds). The server saw every
   * outcome, so its numbers replace what this tab counted for those seconds;
   * events after this call add to them.
   */
  seed(points: { at: string; completed: number; failed: number }[], intervalSecs: number, nowMs: number): void {
    // Once: a later seed would overwrite seconds this tab counted meanwhile.
    if (this.seeded) return;
    this.seeded = true;
    const current = Math.floor(nowMs / 1000);
    const interval = Math.max(1, Math.round(intervalSecs));
    for (const point of points) {
      const start = Math.floor(Date.parse(point.at) / 1000);
      if (Number.isNaN(start)) continue;
      // The bucket still filling has only lived until now: its counts go over the seconds it has had.
      const end = Math.min(start + interval, current + 1);
      for (let second = start; second < end; second++) {
        if (second <= current - WINDOW_SECONDS) continue;
        const slot = second % WINDOW_SECONDS;
        this.stamps[slot] = second;
        this.completed[slot] = point.completed / (end - start);
        this.failed[slot] = point.failed / (end - start);
      }
    }
  }

  /** The window ending at `nowMs`. */
  series(nowMs: number): ThroughputSeries {
    const end = Math.floor(nowMs / 1000);
    const completed: number[] = [];
    const failed: number[] = [];
    for (let second = end - WINDOW_SECONDS + 1; second <= end; second++) {
      const slot = ((second % WINDOW_SECONDS) + WINDOW_SECONDS) % WINDOW_SECONDS;
      const live = this.stamps[slot] === second;
      completed.push(live ? (this.completed[slot] ?? 0) : 0);
      failed.push(live ? (this.failed[slot] ?? 0) : 0);
    }
    return { completed, failed, end };
  }
}

/** The mean per second over the last `seconds` complete seconds of a series. */
export function recentRate(values: number[], seconds = 10): number {
  // The current second is still filling, so it is left out.
  const window = values.slice(-seconds - 1, -1);
  return window.length === 0 ? 0 : window.reduce((sum, value) => sum + value, 0) / window.length;
}
