/** A filter in words, for headings and confirmations. */
import { STATUS_LABEL } from '../format';
import type { TaskFilter } from '../services/types';

/** Says in words which tasks a filter selects. */
export function describeFilter(filter: TaskFilter): string {
  const parts = [
    filter.status && `status ${STATUS_LABEL[filter.status]}`,
    filter.type && `type ${filter.type}`,
    filter.queue && `queue ${filter.queue}`,
    filter.q && `matching “${filter.q}”`,
  ].filter(Boolean);
  return parts.length ? `the tasks with ${parts.join(', ')}` : 'every task';
}
