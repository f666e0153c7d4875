/** Query keys: one place so that live updates and actions refresh the right caches. */
import type { TaskFilter } from '../services/types';

/** The keys of every cached query. */
export const keys = {
  pages: ['tasks'] as const,
  page: (filter: TaskFilter, cursor: string | null) => ['tasks', filter, cursor] as const,
  task: (id: string) => ['task', id] as const,
  history: (id: string) => ['history', id] as const,
  counts: ['counts'] as const,
  queues: ['queues'] as const,
  types: ['types'] as const,
  workers: ['workers'] as const,
  throughput: ['throughput'] as const,
  cron: ['cron'] as const,
  retention: ['retention'] as const,
  metrics: ['metrics'] as const,
};
