import { STATUS_LABEL } from '../format';
import type { TaskStatus } from '../services/types';

/** A task's status as a coloured pill; `data-status` lets tests and styles read it. */
export function StatusBadge({ status }: { status: TaskStatus }) {
  return (
    <span className={`badge badge-${status.toLowerCase()}`} data-status={status}>
      <span className="badge-dot" aria-hidden="true" />
      {STATUS_LABEL[status]}
    </span>
  );
}
