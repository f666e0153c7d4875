/** Which counts describe the tasks a filter shows, as far as the server's counts can tell. */
import type { TaskCounts, TaskFilter, TaskStatus } from '../services/types';

/** Tasks per status within a filter's type or queue, and what those counts cover in words. */
export interface CountScope {
  counts: Partial<Record<TaskStatus, number>> | undefined;
  /** "every task", "queue mail", "type EMAIL". */
  label: string;
  /** False when the filter narrows further than the counts can (a search, or a type and a queue). */
  exact: boolean;
}

/**
 * The counts for the tasks `filter` selects, status aside (the chips pick the
 * status). The server counts per type and per queue, not per search or per pair:
 * then the counts of every task are given, and `exact` says they are wider.
 */
export function countScope(filter: TaskFilter, counts: TaskCounts | undefined): CountScope {
  const searched = Boolean(filter.q);
  if (filter.queue && !filter.type && !searched) {
    return { counts: counts && (counts.by_queue[filter.queue] ?? {}), label: `queue ${filter.queue}`, exact: true };
  }
  if (filter.type && !filter.queue && !searched) {
    return { counts: counts && (counts.by_type[filter.type] ?? {}), label: `type ${filter.type}`, exact: true };
  }
  return { counts: counts?.by_status, label: 'every task', exact: !filter.type && !filter.queue && !searched };
}

/**
 * How many FAILED tasks a "retry failed" with this filter would queue again;
 * null when the counts cannot tell (the confirmation then says so).
 */
export function failedInScope(filter: TaskFilter, counts: TaskCounts | undefined): number | null {
  if (filter.status && filter.status !== 'FAILED') return 0;
  const scope = countScope(filter, counts);
  if (!scope.exact || !scope.counts) return null;
  return scope.counts.FAILED ?? 0;
}
