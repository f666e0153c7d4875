/** The reads the dashboard makes, as TanStack Query hooks. */
import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';
import { getCronEntries, getRetention } from '../services/cron';
import { getCounts, getQueues, getTypes, getWorkers } from '../services/queues';
import { getHistory, getTask, listTasks } from '../services/tasks';
import type { Backlog, KeyUsage, QueueInfo, QueueLimits, TaskCounts, TaskFilter, TaskStatus } from '../services/types';
import { keys } from './keys';

/** Tasks per page. */
export const PAGE_SIZE = 50;

/** The query of one page of the list, for the hook and for prefetching. */
export function pageQuery(filter: TaskFilter, cursor: string | null) {
  return queryOptions({
    queryKey: keys.page(filter, cursor),
    // The signal aborts a page nobody waits for any more (a search typed on).
    queryFn: ({ signal }) => listTasks(filter, cursor, PAGE_SIZE, signal),
    staleTime: 0,
  });
}

/** One page of the list; the previous page stays on screen while the next loads. */
export function useTaskPage(filter: TaskFilter, cursor: string | null) {
  return useQuery({ ...pageQuery(filter, cursor), placeholderData: keepPreviousData });
}

/** One task; a 404 is shown in the panel, not as a toast. */
export function useTask(id: string | null) {
  return useQuery({
    queryKey: keys.task(id ?? ''),
    queryFn: () => getTask(id ?? ''),
    enabled: id !== null,
    meta: { quiet: true },
    staleTime: 0,
  });
}

/** A task's history. */
export function useHistory(id: string | null) {
  return useQuery({
    queryKey: keys.history(id ?? ''),
    queryFn: () => getHistory(id ?? ''),
    enabled: id !== null,
    meta: { quiet: true },
    staleTime: 0,
  });
}

/** The counts; the live stream replaces them every second. */
export function useCounts() {
  return useQuery({ queryKey: keys.counts, queryFn: getCounts });
}

/**
 * The queues with their paused flags. The event stream does not carry pauses
 * made elsewhere (another tab, the API), so they are polled; a call costs the
 * server about a millisecond even with a million tasks.
 */
export function useQueues() {
  return useQuery({ queryKey: keys.queues, queryFn: getQueues, refetchInterval: 5_000 });
}

/** The task types the server runs, polled: remote workers come and go, and with them who serves a type. */
export function useTypes() {
  return useQuery({ queryKey: keys.types, queryFn: getTypes, refetchInterval: 10_000 });
}

/** The workers, local and remote, polled for their running tasks and heartbeats. */
export function useWorkers() {
  return useQuery({ queryKey: keys.workers, queryFn: getWorkers, refetchInterval: 3_000, meta: { quiet: true } });
}

/**
 * The cron entries. Their last runs change on the server's schedule and may be
 * enabled or disabled from another node, so they are polled.
 */
export function useCronEntries() {
  return useQuery({ queryKey: keys.cron, queryFn: getCronEntries, refetchInterval: 5_000 });
}

/** How long the server keeps finished tasks; fixed while it runs. */
export function useRetention() {
  return useQuery({ queryKey: keys.retention, queryFn: getRetention, staleTime: Infinity });
}

/** A queue as the sidebar shows it: its paused flag with the freshest counts, backlog and lag. */
export interface QueueRow {
  name: string;
  paused: boolean;
  counts: Partial<Record<TaskStatus, number>>;
  /** Ready, scheduled and retrying depth, when the server tells them apart. */
  backlog?: Backlog;
  /** How long the oldest due task has waited, in ms (null: none is due). */
  lag_ms?: number | null;
  /** Its limits (`{}`: none), when the server lists the queue. */
  limits?: QueueLimits;
  /** Its keys with the most running tasks, when its limits name keys. */
  busiest_keys?: KeyUsage[];
}

/** The lag of a queue from its oldest due task, as of `now` (server time); null when none is due. */
function lagFrom(backlog: Backlog | undefined, now: number): number | null | undefined {
  if (!backlog || backlog.oldest_ready_at === undefined) return undefined;
  if (backlog.oldest_ready_at === null) return null;
  return Math.max(0, now - Date.parse(backlog.oldest_ready_at));
}

/** Joins the queue list (names, paused, lag) with the live counts (which also name new queues, and carry the backlog). */
export function mergeQueues(queues: QueueInfo[] | undefined, counts: TaskCounts | undefined, now: number = Date.now()): QueueRow[] {
  const rows = new Map<string, QueueRow>();
  for (const queue of queues ?? []) rows.set(queue.name, { ...queue });
  for (const [name, byStatus] of Object.entries(counts?.by_queue ?? {})) {
    const known = rows.get(name);
    const backlog = counts?.backlog_by_queue[name];
    const live = lagFrom(backlog, now);
    const row: QueueRow = { ...known, name, paused: known?.paused ?? false, counts: byStatus };
    if (backlog) row.backlog = backlog;
    if (live !== undefined) row.lag_ms = live;
    rows.set(name, row);
  }
  return [...rows.values()].sort((a, b) => a.name.localeCompare(b.name));
}
